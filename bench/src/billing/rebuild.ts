// The month-rebuild phase of `pnpm bench billing`: a month of usage for REBUILD_INSTANCES instances (two per account,
// every hour of the month, each record with its 120 counted slots as metering writes them) on a fresh topic, read
// by a billing process (child) with empty tables until every record is consumed and no hourly value is stale; then
// the drafts are refreshed and the month finalized (in process). The time runs from the billing process's start to
// the last invoice, so a rebuild pays for everything it has to do.
//
// rebuild_month_10k_s is that time for 10 000 instances × 720 hours (7.2 M records). A smaller run (the default, so
// the whole bench stays within minutes) is scaled linearly in records and labelled `extrapolated`: it assumes the
// cost per record does not grow with the hour of the month or the number of accounts, which is what the hourly
// positions give (rebuild_consume_rps of a 720-hour run against a shorter one shows whether it holds).
import type { Admin } from 'kafkajs';
import { finalizeDue, refreshAllDirtyDrafts } from '@tally/billing/runtime';
import { createTestDatabase } from '@tally/db';
import {
  applyTopics,
  deadLetterTopicOf,
  registerSchemas,
  topics,
  typedTopics,
  type SchemaRegistry,
  type TopicSpec,
  type TypedTopic,
} from '@tally/kafka';
import type { Logger } from '@tally/log';
import { usageKey, type Account, type PriceEntry, type UsageHourly } from '@tally/records';
import { eventually } from '@tally/testing';
import { startBenchBilling } from './billing-child.ts';
import { schemasDir } from '@tally/infra';

const HOUR = 3_600_000;
const FULL_INSTANCES = 10_000;
const FULL_HOURS = 720;

export type Produce = <T>(
  typed: TypedTopic<T>,
  spec: TopicSpec,
  records: Iterable<{ key: string; value: T }>,
) => Promise<void>;

export interface RebuildOptions {
  readonly run: string;
  readonly endpoints: { kafkaBrokers: readonly string[]; schemaRegistryUrl: string; databaseUrl: string };
  readonly admin: Admin;
  readonly registry: SchemaRegistry;
  readonly produce: Produce;
  readonly prices: readonly PriceEntry[];
  readonly billingMain: string;
  /** Extra environment of the billing process (NODE_OPTIONS to profile it). */
  readonly childEnv: NodeJS.ProcessEnv;
  readonly log: Logger;
  readonly instances: number;
  readonly hours: number;
}

export interface RebuildFigures {
  readonly instances: number;
  readonly hours: number;
  readonly records: number;
  readonly accounts: number;
  /** From the billing process's start to the last usage offset stored. */
  readonly consumeSeconds: number;
  /** From then until no account has stale hourly values (the refresh loop caught up). */
  readonly staleSeconds: number;
  readonly draftSeconds: number;
  readonly finalizeSeconds: number;
  readonly finalized: number;
  readonly hourlyRows: number;
  readonly seconds: number;
  /** Scaled linearly in records to 10 000 instances × 720 hours unless measured at that size. */
  readonly month10kSeconds: number;
  readonly extrapolated: boolean;
}

/** Reads the size knobs: BENCH_REBUILD_INSTANCES (default 200) and BENCH_REBUILD_HOURS (default 720, at most 720). */
export function rebuildSize(env: NodeJS.ProcessEnv): { instances: number; hours: number } {
  const instances = Number(env['BENCH_REBUILD_INSTANCES'] ?? 200);
  const hours = Number(env['BENCH_REBUILD_HOURS'] ?? FULL_HOURS);
  if (!Number.isInteger(instances) || instances < 2 || instances % 2 !== 0)
    throw new Error(`BENCH_REBUILD_INSTANCES must be an even integer >= 2, not ${instances}`);
  if (!Number.isInteger(hours) || hours < 1 || hours > FULL_HOURS)
    throw new Error(`BENCH_REBUILD_HOURS must be an integer in 1..${FULL_HOURS}, not ${hours}`);
  return { instances, hours };
}

export async function rebuildMonth(options: RebuildOptions): Promise<RebuildFigures> {
  const { run, endpoints, admin, registry, produce, instances, hours } = options;
  const named = (spec: TopicSpec, suffix: string): TopicSpec => ({ ...spec, name: `${run}.rebuild.${suffix}` });
  const specs = {
    usage: named(topics.usageHourly, 'usage'),
    prices: named(topics.prices, 'prices'),
    accounts: named(topics.accounts, 'accounts'),
    payments: named(topics.payments, 'payments'),
    hourly: named(topics.billingHourly, 'billing-hourly'),
  };
  const consumed = [specs.usage, specs.prices, specs.accounts, specs.payments];
  const allTopics = [...Object.values(specs).map((s) => s.name), ...consumed.map((s) => deadLetterTopicOf(s.name))];
  await applyTopics(admin, [
    ...Object.values(specs),
    ...consumed.map((s): TopicSpec => ({
      name: deadLetterTopicOf(s.name),
      partitions: 1,
      cleanupPolicy: 'delete',
      key: 'k',
    })),
  ]);
  await registerSchemas(registry, schemasDir, Object.values(specs));
  try {
    const accounts = instances / 2;
    const accountIds = Array.from({ length: accounts }, (_, i) => `${run}-r${String(i).padStart(6, '0')}`);
    const zones = ['UTC', 'Europe/Zurich', 'America/New_York'];
    await produce(
      typedTopics.accounts,
      specs.accounts,
      accountIds.map((accountId, i) => ({
        key: accountId,
        value: {
          accountId,
          name: accountId,
          email: `r${i}@example.com`,
          plan: 'paying',
          freeCredit: '0',
          currency: 'USD',
          timeZone: zones[i % zones.length]!,
          createdAt: Date.UTC(2020, 0, 1),
          address: null,
          unsubscribed: false,
        } satisfies Account,
      })),
    );
    await produce(
      typedTopics.prices,
      specs.prices,
      options.prices.map((p) => ({
        key: `${p.sku}|${p.currency}|${new Date(p.effectiveFrom).toISOString()}`,
        value: p,
      })),
    );
    // April 2025 (30 days) in UTC; the Zurich and New York accounts' Aprils are within hours of it.
    const monthStart = Date.UTC(2025, 3, 1);
    const records = instances * hours;
    const slots = Array.from({ length: 120 }, (_, i) => i);
    process.stderr.write(
      `producing ${records} usage records for the month rebuild (${instances} instances × ${hours} h)\n`,
    );
    function* usage(): Generator<{ key: string; value: UsageHourly }> {
      // Hour by hour, as metering writes them; a compacted topic keeps that order.
      for (let h = 0; h < hours; h += 1) {
        for (let n = 0; n < instances; n += 1) {
          const value: UsageHourly = {
            instanceId: `${accountIds[n >> 1]}-i${n & 1}`,
            accountId: accountIds[n >> 1]!,
            instanceType: (n & 1) === 0 ? 's1.small' : 'g1.large',
            hourStart: monthStart + h * HOUR,
            runningSeconds: 3600,
            rxBytes: 1_000_000,
            txBytes: 200_000_000 + n,
            rxPackets: 0,
            txPackets: 0,
            cpuSeconds: '0',
            counted: [{ interfaceId: 'eth0', slots }],
            version: 120,
          };
          yield { key: usageKey(value.instanceId, value.hourStart), value };
        }
      }
    }
    await produce(typedTopics.usageHourly, specs.usage, usage());

    const db = await createTestDatabase(endpoints.databaseUrl);
    try {
      const group = `${run}-rebuild`;
      const started = performance.now();
      // Finalized in process below, once everything is read.
      const { child, consumedUsage } = startBenchBilling({
        main: options.billingMain,
        endpoints,
        pool: db.pool,
        schema: db.schema,
        group,
        topics: specs,
        env: options.childEnv,
      });
      let consumeSeconds = 0;
      let staleSeconds = 0;
      try {
        if (!(await eventually(async () => (await consumedUsage()) >= records, 3_600_000, 200)))
          throw new Error(`billing did not consume the month:\n${child.output()}`);
        consumeSeconds = (performance.now() - started) / 1000;
        const settled = async () => {
          const result = await db.pool.query<{ n: string }>(
            // A mark parked at its seq (its account cannot be computed) stays until new input: not waited for.
            `SELECT (SELECT count(*) FROM billing_hourly_stale WHERE parked_seq IS DISTINCT FROM seq)
               + (SELECT count(*) FROM billing_pending_hours) AS n`,
          );
          return Number(result.rows[0]?.n) === 0;
        };
        if (!(await eventually(settled, 3_600_000, 200)))
          throw new Error(`stale hourly values were never recomputed:\n${child.output()}`);
        staleSeconds = (performance.now() - started) / 1000 - consumeSeconds;
        const parked = await db.pool.query<{ account_id: string; parked_reason: string | null }>(
          `SELECT account_id, parked_reason FROM billing_hourly_stale WHERE parked_seq = seq ORDER BY account_id`,
        );
        if (parked.rows.length > 0)
          options.log.warn(
            { parked: parked.rows },
            'stale hourly values of some accounts could not be computed (parked)',
          );
      } finally {
        child.process.kill('SIGTERM');
        await child.exited;
      }
      const hourly = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM billing_hourly');

      const draftStarted = performance.now();
      await refreshAllDirtyDrafts(db.pool, { adjustmentMonths: 3, batchSize: 200 });
      const draftSeconds = (performance.now() - draftStarted) / 1000;
      const finalizeStarted = performance.now();
      const outcome = await finalizeDue(db.pool, {
        issuer: 'bench',
        numberPrefix: 'INV',
        graceMs: HOUR,
        adjustmentMonths: 3,
        batchSize: 200,
        clock: () => Date.now(),
        gate: ({ now }) => Promise.resolve(now), // everything was read before finalizing
        publish: { topic: 'bench.rebuild.invoices', duePeriodMs: 14 * 24 * HOUR }, // enqueued as the service does
        log: options.log,
      });
      const finalizeSeconds = (performance.now() - finalizeStarted) / 1000;
      const seconds = consumeSeconds + staleSeconds + draftSeconds + finalizeSeconds;
      const extrapolated = instances !== FULL_INSTANCES || hours !== FULL_HOURS;
      return {
        instances,
        hours,
        records,
        accounts,
        consumeSeconds,
        staleSeconds,
        draftSeconds,
        finalizeSeconds,
        finalized: outcome.finalized,
        hourlyRows: Number(hourly.rows[0]?.n ?? 0),
        seconds,
        month10kSeconds: (seconds * FULL_INSTANCES * FULL_HOURS) / records,
        extrapolated,
      };
    } finally {
      await db.drop();
    }
  } finally {
    await admin.deleteTopics({ topics: allTopics }).catch(() => undefined);
  }
}

/** The report line for a rebuild. */
export function rebuildLine(r: RebuildFigures): string {
  const scaled = r.extrapolated
    ? `${r.month10kSeconds.toFixed(0)} s (extrapolated linearly from ${r.records} records)`
    : `${r.month10kSeconds.toFixed(0)} s (measured)`;
  return (
    `month rebuild      ${r.instances} instances × ${r.hours} h (${r.records} records, ${r.accounts} accounts) from ` +
    `empty tables in ${r.seconds.toFixed(1)} s: consume ${r.consumeSeconds.toFixed(1)} s ` +
    `(${Math.round(r.records / r.consumeSeconds)}/s), stale hours ${r.staleSeconds.toFixed(1)} s, drafts ` +
    `${r.draftSeconds.toFixed(1)} s, ${r.finalized} finalized in ${r.finalizeSeconds.toFixed(1)} s; ` +
    `10 000 instances × 720 h: ${scaled}`
  );
}

/** The rebuild's fields of the bench's JSON line. */
export function rebuildJson(r: RebuildFigures) {
  return {
    rebuild_instances: r.instances,
    rebuild_hours: r.hours,
    rebuild_records: r.records,
    rebuild_consume_s: Number(r.consumeSeconds.toFixed(2)),
    rebuild_consume_rps: Math.round(r.records / r.consumeSeconds),
    rebuild_stale_s: Number(r.staleSeconds.toFixed(2)),
    rebuild_drafts_s: Number(r.draftSeconds.toFixed(2)),
    rebuild_finalize_s: Number(r.finalizeSeconds.toFixed(2)),
    rebuild_invoices_finalized: r.finalized,
    rebuild_s: Number(r.seconds.toFixed(2)),
    rebuild_month_10k_s: Number(r.month10kSeconds.toFixed(1)),
    rebuild_extrapolated: r.extrapolated,
  };
}
