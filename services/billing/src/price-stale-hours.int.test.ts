import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import type { PriceEntry, UsageHourly } from '@tally/records';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { priceConsumerSpec } from './price-consumer.ts';
import { upsertAccounts, upsertPrices } from './reference-tables.ts';
import { refreshStaleHours } from './stale-hours.ts';
import { account, at, entry, perUnit, usage } from './test-fixtures.ts';
import { usageConsumerSpec } from './usage-consumer.ts';

/**
 * A price that applies to hours already stored (backdated, or replayed after usage) reaches billing_hourly: the
 * prices consumer marks the accounts stale and, after the stale-hours pass, the stored values (versions aside) and
 * positions are those of a run where the price came before the usage.
 */

const endpoints = loadConfig(connectionEnv);
const HOUR = 3_600_000;
const first = at('2025-03-31T18:00:00Z'); // 24 hours across the end of March (UTC and Zurich)
const HOURLY = 'billing.hourly.test';
const clock = () => Date.now();
const unused = { encode: () => Promise.reject(new Error('unused')), decode: () => Promise.reject(new Error('unused')) };

const BASE: PriceEntry[] = [
  entry('compute.s1.small', 'USD', '2025-01-01T00:00:00Z', perUnit('0.0104')),
  entry('compute.s1.small', 'USD', '2025-04-01T03:00:00Z', perUnit('0.02')),
  entry('egress.gb', 'USD', '2025-01-01T00:00:00Z', perUnit('0.05')),
];
// Backdated: a graduated egress price from 20:30 (the 20:00 hour keeps the old one), and a compute correction that
// applies from 21:00 until the 03:00 entry takes over (hours after that move only through month-to-date).
const LATE: PriceEntry[] = [
  entry('egress.gb', 'USD', '2025-03-31T20:30:00Z', {
    kind: 'graduated',
    tiers: [
      { upTo: '2', unitPrice: '0', flatFee: '0' },
      { upTo: null, unitPrice: '0.09', flatFee: '0.5' },
    ],
  }),
  entry('compute.s1.small', 'USD', '2025-03-31T21:00:00Z', perUnit('0.0111')),
];

const records: UsageHourly[] = ['acct-1', 'acct-2', 'acct-eur'].flatMap((accountId, n) =>
  Array.from({ length: 24 }, (_, h) =>
    usage({
      instanceId: `i-${n}`,
      accountId,
      hourStart: first + h * HOUR,
      runningSeconds: 3600 - h * 60,
      txBytes: 700_000_000 + h * 13_000_000,
    }),
  ),
);

let dbs: TestDatabase[] = [];
beforeAll(async () => {
  dbs = await Promise.all([createTestDatabase(endpoints.DATABASE_URL), createTestDatabase(endpoints.DATABASE_URL)]);
  for (const db of dbs) {
    await upsertPrices(db.pool, BASE);
    await upsertAccounts(db.pool, [
      account({ accountId: 'acct-1', timeZone: 'UTC', createdAt: at('2024-01-01T00:00:00Z') }),
      account({ accountId: 'acct-2', timeZone: 'Europe/Zurich', createdAt: at('2024-01-01T00:00:00Z') }),
      // Another currency: a USD price marks nothing of it.
      account({ accountId: 'acct-eur', currency: 'EUR', timeZone: 'UTC', createdAt: at('2024-01-01T00:00:00Z') }),
    ]);
    await upsertPrices(db.pool, [entry('compute.s1.small', 'EUR', '2025-01-01T00:00:00Z', perUnit('0.01'))]);
    await upsertPrices(db.pool, [entry('egress.gb', 'EUR', '2025-01-01T00:00:00Z', perUnit('0.04'))]);
  }
});
afterAll(async () => {
  await Promise.all(dbs.map((db) => db.drop()));
});

async function consumeUsage(db: TestDatabase): Promise<void> {
  const spec = usageConsumerSpec({
    service: 'billing',
    groupId: 'billing',
    topic: 'usage.test',
    codec: unused,
    pool: db.pool,
    sessionTimeoutMs: 10_000,
    maxBytesPerPartition: 1_048_576,
    billingHourlyTopic: HOURLY,
    clock,
  });
  await spec.commit(records, { topic: 'usage.test', partition: 0, from: undefined, to: String(records.length) });
}

async function consumePrices(db: TestDatabase, entries: readonly PriceEntry[], offset: number): Promise<void> {
  const spec = priceConsumerSpec({
    service: 'billing',
    groupId: 'billing',
    topic: 'prices.test',
    codec: unused,
    pool: db.pool,
    sessionTimeoutMs: 10_000,
    maxBytesPerPartition: 1_048_576,
    billingHourlyTopic: HOURLY,
    clock,
  });
  await spec.commit([...entries], {
    topic: 'prices.test',
    partition: 0,
    from: offset === 0 ? undefined : String(offset),
    to: String(offset + entries.length),
  });
}

const settle = async (db: TestDatabase, registry?: Registry) => {
  while (
    (await refreshStaleHours(db.pool, {
      topic: HOURLY,
      clock,
      batchSize: 50,
      quietMs: 0,
      ...(registry === undefined ? {} : { registry }),
    })) > 0
  );
};

async function hourly(db: TestDatabase): Promise<unknown[]> {
  const result = await db.pool.query<Record<string, unknown>>(
    `SELECT account_id, hour_start, value - 'version' AS value, position FROM billing_hourly
     ORDER BY account_id, hour_start`,
  );
  return result.rows;
}

async function marks(db: TestDatabase) {
  const result = await db.pool.query<{ account_id: string; from_hour: string; to_hour: string }>(
    `SELECT account_id, from_hour, to_hour FROM billing_hourly_stale ORDER BY account_id`,
  );
  return result.rows.map((r) => [r.account_id, Number(r.from_hour), Number(r.to_hour)]);
}

describe('prices consumer: a price for hours already stored', () => {
  it('marks the accounts it applies to, and the stale pass stores what the price-first run stores', async () => {
    const [priceFirst, priceLate] = dbs as [TestDatabase, TestDatabase];
    const registry = new Registry();

    await consumePrices(priceFirst, LATE, 0);
    expect(await marks(priceFirst)).toEqual([]); // no stored hours yet
    await consumeUsage(priceFirst);
    await settle(priceFirst);
    const expected = await hourly(priceFirst);
    expect(expected).toHaveLength(72);

    await consumeUsage(priceLate);
    await settle(priceLate);
    const before = await hourly(priceLate);
    expect(before).toHaveLength(72);
    expect(before).not.toEqual(expected);

    await consumePrices(priceLate, LATE, 0);
    // From effectiveFrom - 1 of the earliest entry (egress 20:30) to the latest stored hour either entry prices: the
    // egress one has no later entry, so the account's last hour. The EUR account is not marked.
    const last = first + 23 * HOUR;
    expect(await marks(priceLate)).toEqual([
      ['acct-1', at('2025-03-31T20:30:00Z') - 1, last],
      ['acct-2', at('2025-03-31T20:30:00Z') - 1, last],
    ]);
    await settle(priceLate, registry);
    expect(await marks(priceLate)).toEqual([]);
    expect(await hourly(priceLate)).toEqual(expected);
    expect((await registry.getSingleMetric('tally_billing_stale_parked')?.get())?.values[0]?.value).toBe(0);

    // The compute correction again with another price: it applies until the 03:00 entry, so only the hours up to
    // 02:00 are marked (the pass recomputes the rest of their month for month-to-date).
    const again = entry('compute.s1.small', 'USD', '2025-03-31T21:00:00Z', perUnit('0.0123'));
    await consumePrices(priceLate, [again], LATE.length);
    expect(await marks(priceLate)).toEqual([
      ['acct-1', at('2025-03-31T21:00:00Z') - 1, at('2025-04-01T02:00:00Z')],
      ['acct-2', at('2025-03-31T21:00:00Z') - 1, at('2025-04-01T02:00:00Z')],
    ]);
    await settle(priceLate);
    await consumePrices(priceFirst, [again], LATE.length);
    await settle(priceFirst);
    expect(await hourly(priceLate)).toEqual(await hourly(priceFirst));
    expect(await hourly(priceLate)).not.toEqual(expected);

    // Prices read again (a replay of the topic) change nothing stored: nothing is marked.
    await consumePrices(priceLate, [...LATE.slice(0, 1), again], 3);
    expect(await marks(priceLate)).toEqual([]);
    // A price from after the stored hours (the usual case) marks nothing.
    await consumePrices(priceLate, [entry('egress.gb', 'USD', '2025-05-01T00:00:00Z', perUnit('0.06'))], 5);
    expect(await marks(priceLate)).toEqual([]);
  }, 30_000);

  it('reports marks parked at their current seq in tally_billing_stale_parked', async () => {
    const db = dbs[0]!;
    const registry = new Registry();
    await db.pool.query(
      `INSERT INTO billing_hourly_stale (account_id, from_hour, to_hour) VALUES ('acct-gone', 0, 0), ('acct-1', $1, $1)`,
      [first],
    );
    await db.pool.query(`UPDATE billing_hourly_stale SET parked_seq = seq, parked_reason = 'test'`);
    await settle(db, registry);
    const gauge = async () => (await registry.getSingleMetric('tally_billing_stale_parked')?.get())?.values[0]?.value;
    expect(await gauge()).toBe(2);
    await db.pool.query(`DELETE FROM billing_hourly_stale WHERE account_id = 'acct-gone'`);
    await settle(db, registry);
    expect(await gauge()).toBe(1);
  });
});
