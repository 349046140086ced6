import { billingEnv } from '@tally/billing/runtime';
import { loadConfig } from '@tally/config';
import { createPool, type Pool } from '@tally/db';
import { deadLetterTopicOf } from '@tally/kafka';
import { meteringEnv } from '@tally/metering/config';
import type { Admin } from 'kafkajs';
import { z } from 'zod';
import { parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';
import { cliKafka } from './kafka-client.ts';
import { replayTargets, schemaOf, SERVICES, type ReplayTarget, type Service } from './replay-targets.ts';
import {
  partitionStatus,
  renderStatus,
  type BillingBacklog,
  type GroupStatus,
  type OutboxStatus,
  type StatusReport,
  type TopicCount,
} from './status-report.ts';

const DAY_MS = 86_400_000;

const args = z.object({
  json: z.boolean().default(false),
  'stall-after': z.coerce.number().positive().default(300),
  positionals: z.array(z.string()).max(0, 'no positional arguments expected'),
});

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Services a deployment may leave out: shown once one of their groups has stored an offset in their schema. */
const OPTIONAL: readonly Service[] = ['abuse', 'drip', 'mailer'];

/** Metering's and billing's groups always; abuse's, drip's and the mailer's where that service has run. */
async function shownTargets(
  targets: readonly ReplayTarget[],
  poolOf: (service: Service) => Pool,
): Promise<ReplayTarget[]> {
  const shown: ReplayTarget[] = [];
  for (const service of SERVICES) {
    const own = targets.filter((t) => t.service === service);
    if (!OPTIONAL.includes(service) || (await hasRun(poolOf(service), own))) shown.push(...own);
  }
  return shown;
}

async function hasRun(pool: Pool, targets: readonly ReplayTarget[]): Promise<boolean> {
  try {
    const result = await pool.query('SELECT 1 FROM consumer_offsets WHERE group_id = ANY($1::text[]) LIMIT 1', [
      targets.map((t) => t.group),
    ]);
    return result.rows.length > 0;
  } catch {
    return false; // no schema or no offsets table: the service never ran against this database
  }
}

async function groupStatus(
  admin: Admin,
  pool: Pool,
  target: { service: string; group: string; topic: string },
  stallAfter: number,
): Promise<GroupStatus> {
  try {
    const [ends, committed, stored] = await Promise.all([
      admin.fetchTopicOffsets(target.topic),
      admin.fetchOffsets({ groupId: target.group, topics: [target.topic] }),
      pool.query<{ partition: number; next_offset: string; age: string }>(
        `SELECT partition, next_offset, extract(epoch FROM now() - updated_at)::float8 AS age
         FROM consumer_offsets WHERE group_id = $1 AND topic = $2`,
        [target.group, target.topic],
      ),
    ]);
    const kafkaOffsets = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, p.offset]));
    const rows = new Map(stored.rows.map((row) => [row.partition, row]));
    const partitions = ends
      .sort((a, b) => a.partition - b.partition)
      .map((end) => {
        const row = rows.get(end.partition);
        const kafka = kafkaOffsets.get(end.partition);
        return partitionStatus(
          {
            partition: end.partition,
            start: end.low,
            end: end.high,
            stored: row?.next_offset ?? null,
            storedAgeSeconds: row === undefined ? null : Number(row.age),
            committed: kafka !== undefined && BigInt(kafka) >= 0n ? kafka : null,
          },
          stallAfter,
        );
      });
    return { ...target, partitions };
  } catch (error) {
    return { ...target, partitions: [], problem: message(error) };
  }
}

/** Outbox rows waiting; counts parked rows when the table has a parked state (a `parked_at` column). */
async function outboxStatus(pool: Pool, service: string, schema: string): Promise<OutboxStatus> {
  try {
    const columns = await pool.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'outbox'`,
      [schema],
    );
    const parkable = columns.rows.some((c) => c.column_name === 'parked_at');
    // Waiting rows are the unparked ones; parked rows wait for an operator, not for the publisher.
    const waiting = parkable ? 'parked_at IS NULL' : 'true';
    const result = await pool.query<{ rows: string; oldest: number | null; parked: string | null }>(
      `SELECT count(*) FILTER (WHERE ${waiting}) AS rows,
              extract(epoch FROM now() - min(created_at) FILTER (WHERE ${waiting}))::float8 AS oldest,
              ${parkable ? 'count(*) FILTER (WHERE parked_at IS NOT NULL)' : 'NULL'} AS parked
       FROM outbox`,
    );
    const row = result.rows[0]!;
    return {
      service,
      schema,
      rows: Number(row.rows),
      oldestAgeSeconds: row.oldest === null ? null : Number(row.oldest),
      parked: row.parked === null ? null : Number(row.parked),
    };
  } catch (error) {
    return { service, schema, rows: 0, oldestAgeSeconds: null, parked: null, problem: message(error) };
  }
}

/**
 * Billing's hourly backlog: stale marks waiting for the stale-hours pass, marks parked at their current seq (the
 * account's hours could not be computed; a new mark retries them), and account-hours waiting for an account or price.
 */
async function billingBacklog(pool: Pool): Promise<BillingBacklog> {
  try {
    const [stale, parked, pending] = await Promise.all([
      pool.query<{ accounts: string; oldest: number | null }>(
        `SELECT count(*) AS accounts, extract(epoch FROM now() - min(first_marked_at))::float8 AS oldest
         FROM billing_hourly_stale WHERE parked_seq IS DISTINCT FROM seq`,
      ),
      pool.query<{ account_id: string; reason: string; parked_at: Date }>(
        `SELECT account_id, parked_reason AS reason, parked_at FROM billing_hourly_stale
         WHERE parked_seq = seq ORDER BY parked_at, account_id COLLATE "C"`,
      ),
      pool.query<{ hours: string }>('SELECT count(*) AS hours FROM billing_pending_hours'),
    ]);
    return {
      staleAccounts: Number(stale.rows[0]?.accounts ?? 0),
      oldestStaleAgeSeconds: stale.rows[0]?.oldest ?? null,
      parked: parked.rows.map((row) => ({
        accountId: row.account_id,
        reason: row.reason,
        parkedAt: row.parked_at.toISOString(),
      })),
      pendingHours: Number(pending.rows[0]?.hours ?? 0),
    };
  } catch (error) {
    return { staleAccounts: 0, oldestStaleAgeSeconds: null, parked: [], pendingHours: 0, problem: message(error) };
  }
}

/** Records whose timestamp is at or after `since`, per topic, from the broker's time index (nothing is read). */
async function countSince(admin: Admin, topics: readonly string[], since: number): Promise<TopicCount[]> {
  const existing = new Set(await admin.listTopics());
  const counts: TopicCount[] = [];
  for (const topic of topics) {
    if (!existing.has(topic)) {
      counts.push({ topic, records: null });
      continue;
    }
    const [from, ends] = await Promise.all([
      admin.fetchTopicOffsetsByTimestamp(topic, since),
      admin.fetchTopicOffsets(topic),
    ]);
    let records = 0n;
    for (const end of ends) {
      const offset = from.find((p) => p.partition === end.partition)?.offset;
      // -1: no record at or after `since` in that partition.
      const first = offset === undefined || BigInt(offset) < 0n ? BigInt(end.high) : BigInt(offset);
      records += BigInt(end.high) - first;
    }
    counts.push({ topic, records: Number(records) });
  }
  return counts;
}

/** Builds the whole report: reads only (broker metadata and offsets, PostgreSQL). */
export async function statusReport(env: NodeJS.ProcessEnv, stallAfterSeconds: number): Promise<StatusReport> {
  const metering = loadConfig(meteringEnv, env);
  const billing = loadConfig(billingEnv, env);
  const schemas: Record<string, string> = Object.fromEntries(
    SERVICES.map((service) => [service, schemaOf(service, env)]),
  );
  const pools = new Map<string, Pool>();
  const poolOf = (schema: string): Pool => {
    let pool = pools.get(schema);
    if (pool === undefined) {
      pool = createPool(billing.DATABASE_URL, { schema, max: 2, applicationName: 'tally-cli' });
      pools.set(schema, pool);
    }
    return pool;
  };
  const admin = cliKafka(env).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const targets = await shownTargets(replayTargets(env), (service) => poolOf(schemas[service]!));
    const groups: GroupStatus[] = [];
    for (const target of targets) {
      groups.push(
        existing.has(target.topic)
          ? await groupStatus(admin, poolOf(schemas[target.service]!), target, stallAfterSeconds)
          : // kafkajs would retry an unknown topic's metadata for many seconds per call.
            { ...target, partitions: [], problem: `topic ${target.topic} does not exist` },
      );
    }
    const outboxes: OutboxStatus[] = [];
    const seen = new Set<string>();
    const shownSchemas = Object.entries(schemas).filter(([service]) => targets.some((t) => t.service === service));
    for (const [service, schema] of shownSchemas) {
      // Services sharing a schema share its outbox table: count it once.
      if (seen.has(schema)) continue;
      seen.add(schema);
      const sharing = shownSchemas.filter(([, s]) => s === schema).map(([name]) => name);
      outboxes.push(await outboxStatus(poolOf(schema), sharing.join('+') || service, schema));
    }
    const since = Date.now() - DAY_MS;
    const deadLetters24h = await countSince(admin, [...new Set(targets.map((t) => deadLetterTopicOf(t.topic)))], since);
    const lateSamples24h = await countSince(admin, [metering.METERING_LATE_TOPIC], since);
    let lastFinalized: StatusReport['lastFinalized'];
    try {
      const result = await poolOf(billing.DB_SCHEMA).query<{ month: string | null; invoices: string }>(
        `SELECT max(month) AS month, count(*) FILTER (WHERE month = (SELECT max(month) FROM invoices WHERE status = 'finalized')) AS invoices
         FROM invoices WHERE status = 'finalized'`,
      );
      lastFinalized = { month: result.rows[0]?.month ?? null, invoices: Number(result.rows[0]?.invoices ?? 0) };
    } catch (error) {
      lastFinalized = { month: null, invoices: 0, problem: message(error) };
    }
    return {
      at: new Date().toISOString(),
      stallAfterSeconds,
      groups,
      outboxes,
      deadLetters24h,
      lateSamples24h,
      lastFinalized,
      billing: await billingBacklog(poolOf(billing.DB_SCHEMA)),
    };
  } finally {
    await admin.disconnect();
    await Promise.all([...pools.values()].map((pool) => pool.end()));
  }
}

/** `tally status [--json] [--stall-after seconds]`: the pipeline on one screen. */
export const status: Command = {
  path: ['status'],
  usage: 'tally status [--json] [--stall-after 300]',
  summary:
    'groups and lag per partition, stalled partitions, outbox backlog, dead letters and late samples (24 h), billing hours to recompute or parked',
  async run(argv, io) {
    const options = parseCommandArgs(argv, { json: { type: 'boolean' }, 'stall-after': { type: 'string' } }, args);
    const report = await statusReport(io.env, options['stall-after']);
    io.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report));
    return 0;
  },
};
