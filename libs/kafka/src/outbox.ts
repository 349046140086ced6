import { setTimeout as sleep } from 'node:timers/promises';
import type { Message, Producer } from 'kafkajs';
import { Counter, type Registry } from 'prom-client';
import { inTransaction, type Pool, type Queryable } from '@tally/db';
import type { Logger } from '@tally/log';
import type { ValueCodec } from './codec.ts';
import { classifyError } from './errors.ts';
import { messageBytes } from './message-size.ts';
import { planOutboxBatch, type OutboxRow, type Unsendable } from './outbox-plan.ts';
import { budgetOf, sendSized, type SizedSendOptions, type TopicMessage } from './sized-send.ts';

/** Adds a record to the outbox; call it inside the transaction that writes the state it comes from. */
export async function enqueueOutbox(db: Queryable, topic: string, key: string, value: unknown): Promise<void> {
  await db.query('INSERT INTO outbox (topic, key, payload) VALUES ($1, $2, $3)', [topic, key, JSON.stringify(value)]);
}

export interface OutboxPublisherOptions extends SizedSendOptions {
  pool: Pool;
  producer: Producer;
  /**
   * The codec of each topic this publisher sends; rows for other topics are left for the publisher of
   * the service that owns them, so services can share one database schema.
   */
  codecs: ReadonlyMap<string, ValueCodec<unknown>>;
  log: Logger;
  /** Where `tally_outbox_parked_total` and `tally_outbox_published_total` are registered (the service's metrics). */
  registry?: Registry;
  batchSize?: number;
  idleMs?: number;
}

export interface OutboxBatchOutcome {
  /** Rows sent and deleted. */
  readonly published: number;
  /** Rows parked with their error (they can never be sent as they are). */
  readonly parked: number;
  /** Parked rows deleted because a later row for the same topic and key was sent. */
  readonly superseded: number;
}

interface OutboxMetrics {
  parked: Counter<'topic'>;
  published: Counter<'topic'>;
}

const metricsByRegistry = new WeakMap<Registry, OutboxMetrics>();

function outboxMetrics(registry: Registry | undefined): OutboxMetrics | undefined {
  if (registry === undefined) return undefined;
  let metrics = metricsByRegistry.get(registry);
  if (metrics === undefined) {
    metrics = {
      parked: new Counter({
        name: 'tally_outbox_parked_total',
        help: 'Outbox rows parked because they can never be sent (too large for the topic, or invalid)',
        labelNames: ['topic'],
        registers: [registry],
      }),
      published: new Counter({
        name: 'tally_outbox_published_total',
        help: 'Outbox rows sent and deleted',
        labelNames: ['topic'],
        registers: [registry],
      }),
    };
    metricsByRegistry.set(registry, metrics);
  }
  return metrics;
}

/**
 * Publishes one batch: locks the oldest unparked rows (FOR UPDATE, not SKIP LOCKED, so two publishers take turns
 * and the order per key is kept), encodes them, sends them with acks from all replicas in requests under each
 * topic's size limit, deletes them, commits. A crash after the send and before the commit sends them again:
 * harmless, values are full and versioned.
 *
 * A row that can never be sent (it does not encode or validate, or its message alone exceeds the topic's
 * `max.message.bytes`) is parked with its error and the rows behind it go on; that includes later rows for the
 * same key, which supersede it (a full, newer value) and, once sent, delete it. A transient failure (registry or
 * broker away) throws: the transaction rolls back and the whole batch is tried again.
 */
export async function publishOutboxBatch(options: OutboxPublisherOptions): Promise<OutboxBatchOutcome> {
  const { pool, producer, codecs, log } = options;
  const metrics = outboxMetrics(options.registry);
  const outcome = await inTransaction(pool, async (client) => {
    const selected = await client.query<{ id: string; topic: string; key: string; payload: unknown }>(
      `SELECT id, topic, key, payload FROM outbox
       WHERE parked_at IS NULL AND topic = ANY($2::text[]) ORDER BY id LIMIT $1 FOR UPDATE`,
      [options.batchSize ?? 500, [...codecs.keys()]],
    );
    if (selected.rows.length === 0) return { sent: [], parked: [], superseded: 0 };
    const rows: OutboxRow[] = [];
    for (const row of selected.rows) {
      const codec = codecs.get(row.topic);
      if (!codec)
        throw new Error(`outbox row ${row.id} is for topic ${row.topic}, which this publisher has no codec for`);
      rows.push({ id: row.id, topic: row.topic, key: row.key, message: await encodeRow(codec, row) });
    }
    const plan = planOutboxBatch(rows, (topic, message) => {
      const item: TopicMessage = { topic, message };
      return { bytes: messageBytes(message), budget: budgetOf([item], options) };
    });
    const refused = await sendSized(
      producer,
      plan.send.map((row) => ({ topic: row.topic, message: row.message })),
      options,
    );
    // The broker refused some alone as too large (its limit is below the catalog's): park those too.
    const refusedMessages = new Set(refused.map((item) => item.message));
    const sent = plan.send.filter((row) => !refusedMessages.has(row.message));
    const parked: Unsendable[] = [
      ...plan.park,
      ...plan.send
        .filter((row) => refusedMessages.has(row.message))
        .map((row) => ({
          id: row.id,
          topic: row.topic,
          key: row.key,
          sizeBytes: messageBytes(row.message),
          error: 'MessageTooLarge: the broker refused the message alone as larger than the topic accepts',
        })),
    ];
    for (const row of parked) {
      await client.query('UPDATE outbox SET parked_at = now(), error = $2, size_bytes = $3 WHERE id = $1', [
        row.id,
        row.error.slice(0, 4_000),
        row.sizeBytes,
      ]);
    }
    await client.query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [sent.map((row) => row.id)]);
    // A sent row supersedes parked rows of the same topic and key written before it.
    const superseded = await client.query(
      `DELETE FROM outbox o USING unnest($1::text[], $2::text[], $3::bigint[]) AS s(topic, key, id)
       WHERE o.parked_at IS NOT NULL AND o.topic = s.topic AND o.key = s.key AND o.id < s.id`,
      [sent.map((row) => row.topic), sent.map((row) => row.key), sent.map((row) => row.id)],
    );
    return { sent: sent.map((row) => row.topic), parked, superseded: superseded.rowCount ?? 0 };
  });
  for (const row of outcome.parked) {
    metrics?.parked.inc({ topic: row.topic });
    log.error(
      { topic: row.topic, key: row.key, outboxId: row.id, sizeBytes: row.sizeBytes, reason: row.error },
      'outbox row parked: it can never be sent as it is',
    );
  }
  if (outcome.superseded > 0) log.info({ rows: outcome.superseded }, 'parked outbox rows superseded by later values');
  for (const topic of outcome.sent) metrics?.published.inc({ topic });
  return { published: outcome.sent.length, parked: outcome.parked.length, superseded: outcome.superseded };
}

/** The row's message, or why it can never be one: a deterministic encoding error. Transient errors throw. */
async function encodeRow(
  codec: ValueCodec<unknown>,
  row: { key: string; payload: unknown },
): Promise<Message | { error: string }> {
  try {
    return { key: row.key, value: await codec.encode(row.payload) };
  } catch (error) {
    const verdict = classifyError(error);
    if (verdict.kind !== 'deterministic') throw error;
    const issues = (error as { issues?: unknown }).issues;
    if (Array.isArray(issues)) {
      // A value that no longer passes its topic's zod schema: say which fields, as a dead letter would.
      const fields = (issues as { path?: PropertyKey[]; message?: string }[])
        .map((issue) => `${(issue.path ?? []).map(String).join('.')}: ${issue.message ?? ''}`)
        .join('; ');
      return { error: `ValidationFailed: ${fields}` };
    }
    return { error: `${verdict.errorClass}: ${verdict.reason}` };
  }
}

/** Runs the publisher until `signal` aborts; failures are logged and retried after a pause, never dropped. */
export async function runOutboxPublisher(options: OutboxPublisherOptions, signal: AbortSignal): Promise<void> {
  const idleMs = options.idleMs ?? 200;
  while (!signal.aborted) {
    try {
      const outcome = await publishOutboxBatch(options);
      if (outcome.published + outcome.parked === 0) await sleep(idleMs, undefined, { signal }).catch(() => undefined);
    } catch (error) {
      options.log.warn({ err: error }, 'outbox publish failed; retrying');
      await sleep(1_000, undefined, { signal }).catch(() => undefined);
    }
  }
}
