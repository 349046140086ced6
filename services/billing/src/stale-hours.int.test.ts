import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import { createLogger } from '@tally/log';
import type { UsageHourly } from '@tally/records';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readStaleBatch, refreshStaleHours, writeStaleBatch } from './stale-hours.ts';
import { upsertAccounts, upsertPrices } from './reference-tables.ts';
import { account, at, entry, perUnit, usage } from './test-fixtures.ts';
import { usageConsumerSpec } from './usage-consumer.ts';

/**
 * The stale-hours pass on PostgreSQL: a price stored between its unlocked read and its locked write is not stored as
 * if absent, and an account whose computation throws is parked without stopping the others of its batch.
 */

const endpoints = loadConfig(connectionEnv);
const HOUR = 3_600_000;
const first = at('2025-03-10T00:00:00Z');
const TOPIC = 'usage.test';
const HOURLY = 'billing.hourly.test';
const clock = () => Date.now();
const SMALL = (price: string) => entry('compute.s1.small', 'USD', '2025-01-01T00:00:00Z', perUnit(price));

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
});
afterAll(async () => {
  await db.drop();
});
beforeEach(async () => {
  await db.pool.query(
    `TRUNCATE billing_usage, billing_hourly, billing_pending_hours, billing_dirty_accounts, billing_hourly_stale,
       billing_prices, billing_accounts, consumer_offsets, outbox`,
  );
  await upsertPrices(db.pool, [SMALL('1')]);
  await upsertAccounts(db.pool, [
    account({ accountId: 'acct-1', timeZone: 'UTC', createdAt: at('2024-01-01T00:00:00Z') }),
    account({ accountId: 'acct-2', timeZone: 'UTC', createdAt: at('2024-01-01T00:00:00Z') }),
    account({ accountId: 'acct-3', timeZone: 'UTC', createdAt: at('2024-01-01T00:00:00Z') }),
    // Passes validation (any text), but no month can be found in it: every computation of the account throws.
    account({ accountId: 'acct-tz', timeZone: 'Mars/Olympus_Mons', createdAt: at('2024-01-01T00:00:00Z') }),
  ]);
});

/** Three full hours of one s1.small instance per account, stored by the usage consumer's commit. */
async function consume(accountIds: readonly string[]): Promise<void> {
  const spec = usageConsumerSpec({
    service: 'billing',
    groupId: 'billing',
    topic: TOPIC,
    codec: { encode: () => Promise.reject(new Error('unused')), decode: () => Promise.reject(new Error('unused')) },
    pool: db.pool,
    sessionTimeoutMs: 10_000,
    maxBytesPerPartition: 1_048_576,
    billingHourlyTopic: HOURLY,
    clock,
  });
  const records: UsageHourly[] = accountIds.flatMap((accountId, n) =>
    [0, 1, 2].map((h) => usage({ instanceId: `i-${n}`, accountId, hourStart: first + h * HOUR })),
  );
  await spec.commit(records, { topic: TOPIC, partition: 0, from: undefined, to: String(records.length) });
}

async function mark(accountId: string): Promise<void> {
  await db.pool.query(
    `INSERT INTO billing_hourly_stale (account_id, from_hour, to_hour) VALUES ($1, $2, $3)
     ON CONFLICT (account_id) DO UPDATE SET seq = nextval(pg_get_serial_sequence('billing_hourly_stale', 'seq'))`,
    [accountId, first, first + 2 * HOUR],
  );
}

async function hourTotals(accountId: string): Promise<string[]> {
  const result = await db.pool.query<{ total: string }>(
    `SELECT value->>'hourTotal' AS total FROM billing_hourly WHERE account_id = $1 ORDER BY hour_start`,
    [accountId],
  );
  return result.rows.map((r) => r.total);
}

async function marks() {
  const result = await db.pool.query<{ account_id: string; parked: boolean; parked_reason: string | null }>(
    `SELECT account_id, parked_seq = seq AS parked, parked_reason FROM billing_hourly_stale ORDER BY account_id`,
  );
  return result.rows;
}

const pass = (extra: { log?: ReturnType<typeof createLogger> } = {}) =>
  refreshStaleHours(db.pool, { topic: HOURLY, clock, batchSize: 50, quietMs: 0, ...extra });

describe('refreshStaleHours', () => {
  it('stores nothing computed with a price book that changed before its write, and recomputes with the new one', async () => {
    await consume(['acct-1']);
    expect(await hourTotals('acct-1')).toEqual(['1', '1', '1']);
    await mark('acct-1');
    const batch = await readStaleBatch(db.pool, { topic: HOURLY, clock, batchSize: 50, quietMs: 0 });
    expect(batch.computed).toHaveLength(1);
    // The prices consumer commits a new price between the pass's read and its write (it marks no stale hours).
    await upsertPrices(db.pool, [SMALL('2')]);
    expect(await writeStaleBatch(db.pool, batch, { topic: HOURLY, clock, batchSize: 50 })).toBeUndefined();
    expect(await marks()).toEqual([{ account_id: 'acct-1', parked: null, parked_reason: null }]);
    while ((await pass()) > 0);
    expect(await hourTotals('acct-1')).toEqual(['2', '2', '2']);
    expect(await marks()).toEqual([]);
  });

  it('writes a batch read and written with the same price book', async () => {
    await consume(['acct-1']);
    await upsertPrices(db.pool, [SMALL('3')]);
    await mark('acct-1');
    const batch = await readStaleBatch(db.pool, { topic: HOURLY, clock, batchSize: 50, quietMs: 0 });
    expect(await writeStaleBatch(db.pool, batch, { topic: HOURLY, clock, batchSize: 50 })).toBe(1);
    expect(await hourTotals('acct-1')).toEqual(['3', '3', '3']);
  });

  it('parks an account whose computation throws and stores the others of its batch', async () => {
    await consume(['acct-1', 'acct-2', 'acct-3']);
    // acct-3's first hour as stored is corrupt (no lines): recomputing from its second hour on adds it to the month
    // as stored, and the pure sweep throws.
    await db.pool.query(
      `UPDATE billing_hourly SET value = value - 'lines' WHERE account_id = 'acct-3' AND hour_start = $1`,
      [first],
    );
    await upsertPrices(db.pool, [SMALL('2')]);
    for (const id of ['acct-1', 'acct-2', 'acct-3', 'acct-tz']) await mark(id);
    await db.pool.query(`UPDATE billing_hourly_stale SET from_hour = $1 WHERE account_id = 'acct-3'`, [first + HOUR]);
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('billing-test', 'info', {
      write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
    });

    expect(await pass({ log })).toBe(4);
    expect(await hourTotals('acct-1')).toEqual(['2', '2', '2']);
    expect(await hourTotals('acct-2')).toEqual(['2', '2', '2']);
    const parked = await marks();
    expect(parked.map((m) => [m.account_id, m.parked])).toEqual([
      ['acct-3', true],
      ['acct-tz', true],
    ]);
    expect(parked[0]!.parked_reason).toMatch(/^TypeError/);
    expect(parked[1]!.parked_reason).toMatch(/unknown time zone/);
    expect(
      lines
        .filter((l) => l['level'] === 50)
        .map((l) => String(l['accountId']))
        .sort(),
    ).toEqual(['acct-3', 'acct-tz']);

    // Parked: not taken again (no hot loop)...
    expect(await pass({ log })).toBe(0);
    // ...until the account is marked again (new input), when it is tried once more.
    await mark('acct-tz');
    expect((await marks()).find((m) => m.account_id === 'acct-tz')?.parked).toBe(false);
    expect(await pass({ log })).toBe(1);
    expect((await marks()).map((m) => m.parked)).toEqual([true, true]);
  });
});
