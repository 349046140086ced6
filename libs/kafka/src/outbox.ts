import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from 'kafkajs';
import { inTransaction, type Pool, type Queryable } from '@tally/db';
import type { Logger } from '@tally/log';
import type { ValueCodec } from './codec.ts';

/** Adds a record to the outbox; call it inside the transaction that writes the state it comes from. */
export async function enqueueOutbox(db: Queryable, topic: string, key: string, value: unknown): Promise<void> {
  await db.query('INSERT INTO outbox (topic, key, payload) VALUES ($1, $2, $3)', [topic, key, JSON.stringify(value)]);
}

export interface OutboxPublisherOptions {
  pool: Pool;
  producer: Producer;
  /**
   * The codec of each topic this publisher sends; rows for other topics are left for the publisher of
   * the service that owns them, so services can share one database schema.
   */
  codecs: ReadonlyMap<string, ValueCodec<unknown>>;
  log: Logger;
  batchSize?: number;
  idleMs?: number;
}

/**
 * Publishes one batch: locks the oldest rows (FOR UPDATE, not SKIP LOCKED, so two publishers take turns
 * and the order per key is kept), sends them with acks from all replicas, deletes them, commits.
 * A crash after the send and before the commit sends them again: harmless, values are full and versioned.
 * Returns how many rows it published.
 */
export async function publishOutboxBatch(options: OutboxPublisherOptions): Promise<number> {
  const { pool, producer, codecs } = options;
  return inTransaction(pool, async (client) => {
    const rows = await client.query<{ id: string; topic: string; key: string; payload: unknown }>(
      'SELECT id, topic, key, payload FROM outbox WHERE topic = ANY($2::text[]) ORDER BY id LIMIT $1 FOR UPDATE',
      [options.batchSize ?? 500, [...codecs.keys()]],
    );
    if (rows.rows.length === 0) return 0;
    const byTopic = new Map<string, { key: string; value: Buffer }[]>();
    for (const row of rows.rows) {
      const codec = codecs.get(row.topic);
      if (!codec)
        throw new Error(`outbox row ${row.id} is for topic ${row.topic}, which this publisher has no codec for`);
      const messages = byTopic.get(row.topic) ?? [];
      messages.push({ key: row.key, value: await codec.encode(row.payload) });
      byTopic.set(row.topic, messages);
    }
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
    await client.query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [rows.rows.map((row) => row.id)]);
    return rows.rows.length;
  });
}

/** Runs the publisher until `signal` aborts; failures are logged and retried after a pause, never dropped. */
export async function runOutboxPublisher(options: OutboxPublisherOptions, signal: AbortSignal): Promise<void> {
  const idleMs = options.idleMs ?? 200;
  while (!signal.aborted) {
    try {
      const published = await publishOutboxBatch(options);
      if (published === 0) await sleep(idleMs, undefined, { signal }).catch(() => undefined);
    } catch (error) {
      options.log.warn({ err: error }, 'outbox publish failed; retrying');
      await sleep(1_000, undefined, { signal }).catch(() => undefined);
    }
  }
}
