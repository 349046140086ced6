import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import type { UsageHourly } from '@tally/records';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshStaleHours } from './stale-hours.ts';
import { upsertAccounts, upsertPrices } from './reference-tables.ts';
import { account, at, entry, perUnit, usage } from './test-fixtures.ts';
import { usageConsumerSpec } from './usage-consumer.ts';

/**
 * The usage consumer's commit on PostgreSQL, as the runtime calls it when it coalesces fetches
 * (ConsumerSpec.commitIntervalMs): the concatenated results of consecutive fetches in one commit must store what
 * committing the fetches one by one stores (usage, hourly values but their versions, positions, parked hours, draft
 * marks, offsets), once the stale-hours pass has run. Fetches hold several versions of an instance-hour, older
 * versions after newer ones, hours out of order across a month's end, an instance changing owner and an unknown account.
 */

const endpoints = loadConfig(connectionEnv);
const HOUR = 3_600_000;
const first = at('2025-03-31T18:00:00Z'); // 12 hours before and after the end of March (UTC and Zurich)
const TOPIC = 'usage.test';

let dbs: TestDatabase[] = [];
beforeAll(async () => {
  dbs = await Promise.all([createTestDatabase(endpoints.DATABASE_URL), createTestDatabase(endpoints.DATABASE_URL)]);
  for (const db of dbs) {
    await upsertPrices(db.pool, [
      entry('compute.s1.small', 'USD', '2025-01-01T00:00:00Z', perUnit('0.0104')),
      entry('compute.g1.large', 'USD', '2025-01-01T00:00:00Z', perUnit('1.25')),
      entry('compute.g1.large', 'USD', '2025-04-01T03:00:00Z', perUnit('0.99')),
      entry('egress.gb', 'USD', '2025-01-01T00:00:00Z', {
        kind: 'graduated',
        tiers: [
          { upTo: '1', unitPrice: '0', flatFee: '0' },
          { upTo: null, unitPrice: '0.09', flatFee: '0.5' },
        ],
      }),
    ]);
    // acct-3 is never known: its hours are parked.
    await upsertAccounts(db.pool, [
      account({ accountId: 'acct-1', timeZone: 'UTC', createdAt: at('2024-01-01T00:00:00Z') }),
      account({ accountId: 'acct-2', timeZone: 'Europe/Zurich', createdAt: at('2024-01-01T00:00:00Z') }),
    ]);
  }
});
afterAll(async () => {
  await Promise.all(dbs.map((db) => db.drop()));
});

/** A small deterministic generator (mulberry32), so a failing seed can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function scenario(seed: number): { fetches: UsageHourly[][]; groups: number[] } {
  const next = random(seed);
  const pick = (n: number) => Math.floor(next() * n);
  const records: UsageHourly[] = [];
  for (let n = 0; n < 160; n += 1) {
    const instance = pick(5);
    const hour = pick(24);
    // i-4 moves from acct-1 to acct-2 with its version 3; i-3 belongs to the unknown acct-3.
    const version = 1 + pick(3);
    const accountId =
      instance === 3 ? 'acct-3' : instance === 4 ? (version === 3 ? 'acct-2' : 'acct-1') : `acct-${1 + (instance % 2)}`;
    // A version identifies its value (metering never writes two values with one version): the measures are a
    // function of the instance-hour and version, so redelivered versions are identical.
    const measure = random(seed * 1_000_003 + instance * 10_007 + hour * 101 + version);
    records.push(
      usage({
        instanceId: `i-${instance}`,
        accountId,
        instanceType: instance % 2 === 0 ? 'g1.large' : 's1.small',
        hourStart: first + hour * HOUR,
        version,
        runningSeconds: [0, 1200, 3600][Math.floor(measure() * 3)]!,
        txBytes: Math.floor(measure() * 3_000_000_000),
      }),
    );
  }
  const fetches: UsageHourly[][] = [];
  for (let i = 0; i < records.length;) {
    const size = 1 + pick(12);
    fetches.push(records.slice(i, i + size));
    i += size;
  }
  const groups: number[] = [];
  for (let covered = 0; covered < fetches.length;) {
    const size = Math.min(1 + pick(6), fetches.length - covered);
    groups.push(size);
    covered += size;
  }
  return { fetches, groups };
}

/** Commits the fetches grouped as given (1 each: one by one), then runs the stale-hours pass until nothing is marked. */
async function consume(db: TestDatabase, fetches: readonly UsageHourly[][], groups: readonly number[]): Promise<void> {
  const clock = () => Date.now();
  const spec = usageConsumerSpec({
    service: 'billing',
    groupId: 'billing',
    topic: TOPIC,
    codec: { encode: () => Promise.reject(new Error('unused')), decode: () => Promise.reject(new Error('unused')) },
    pool: db.pool,
    sessionTimeoutMs: 10_000,
    maxBytesPerPartition: 1_048_576,
    billingHourlyTopic: 'billing.hourly.test',
    clock,
  });
  let offset = 0;
  let fetch = 0;
  for (const size of groups) {
    const results = fetches.slice(fetch, fetch + size).flat();
    fetch += size;
    await spec.commit(results, {
      topic: TOPIC,
      partition: 0,
      from: offset === 0 ? undefined : String(offset),
      to: String(offset + results.length),
    });
    offset += results.length;
  }
  while ((await refreshStaleHours(db.pool, { topic: 'billing.hourly.test', clock, batchSize: 50, quietMs: 0 })) > 0);
}

async function stored(db: TestDatabase) {
  const rows = async (sql: string): Promise<unknown[]> => (await db.pool.query<Record<string, unknown>>(sql)).rows;
  return {
    usage: await rows(
      `SELECT instance_id, hour_start, account_id, version, record FROM billing_usage ORDER BY instance_id, hour_start`,
    ),
    hourly: await rows(
      `SELECT account_id, hour_start, value - 'version' AS value, position FROM billing_hourly
       ORDER BY account_id, hour_start`,
    ),
    pending: await rows(
      `SELECT account_id, hour_start, reason FROM billing_pending_hours ORDER BY account_id, hour_start`,
    ),
    dirty: await rows(`SELECT DISTINCT account_id FROM billing_dirty_accounts ORDER BY account_id`),
    stale: await rows(`SELECT account_id FROM billing_hourly_stale`),
    offsets: await rows(`SELECT partition, next_offset FROM consumer_offsets WHERE topic = '${TOPIC}'`),
  };
}

async function clear(db: TestDatabase): Promise<void> {
  await db.pool.query(
    `TRUNCATE billing_usage, billing_hourly, billing_pending_hours, billing_dirty_accounts, billing_hourly_stale,
       consumer_offsets, outbox`,
  );
}

describe('usage consumer: coalesced fetches', () => {
  it.each([1, 2, 3, 4])(
    'one commit of consecutive fetches stores what committing them one by one does (seed %i)',
    async (seed) => {
      const { fetches, groups } = scenario(seed);
      expect(groups.some((g) => g > 1)).toBe(true);
      const [oneByOne, coalesced] = dbs as [TestDatabase, TestDatabase];
      await Promise.all([clear(oneByOne), clear(coalesced)]);
      await consume(
        oneByOne,
        fetches,
        fetches.map(() => 1),
      );
      await consume(coalesced, fetches, groups);
      const expected = await stored(oneByOne);
      expect(expected.hourly.length).toBeGreaterThan(10);
      expect(expected.pending.length).toBeGreaterThan(0);
      expect(expected.stale).toEqual([]);
      expect(await stored(coalesced)).toEqual(expected);
    },
    60_000,
  );
});
