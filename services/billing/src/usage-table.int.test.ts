import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import type { UsageHourly } from '@tally/records';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestUsage } from './latest-usage.ts';
import { at, usage } from './test-fixtures.ts';
import { upsertUsage } from './usage-table.ts';

/**
 * upsertUsage and latestUsage keep the same value per instance-hour, so the table does not depend on how a replay
 * batches the records (coalescing, another fetch size, a restart): equal versions with different content included.
 */

const endpoints = loadConfig(connectionEnv);
const HOUR = 3_600_000;
const first = at('2025-03-10T00:00:00Z');

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
});
afterAll(async () => {
  await db.drop();
});

// A small key space and few values, so equal-version records with different content are frequent. Keys of the
// account ids differ in length, which orders jsonb's keys differently from canonical JSON.
const record: fc.Arbitrary<UsageHourly> = fc
  .record({
    instance: fc.integer({ min: 1, max: 2 }),
    hour: fc.integer({ min: 0, max: 1 }),
    version: fc.integer({ min: 1, max: 2 }),
    accountId: fc.constantFrom('a', 'acct-10'),
    runningSeconds: fc.constantFrom(0, 1200, 3600),
    txBytes: fc.constantFrom(0, 9, 10, 1_000_000),
    cpuSeconds: fc.constantFrom('0', '1.5', '10'),
    counted: fc.constantFrom<UsageHourly['counted']>([], [{ interfaceId: 'eth0', slots: [0, 1] }]),
  })
  .map((r) =>
    usage({
      instanceId: `i-${r.instance}`,
      accountId: r.accountId,
      hourStart: first + r.hour * HOUR,
      version: r.version,
      runningSeconds: r.runningSeconds,
      txBytes: r.txBytes,
      cpuSeconds: r.cpuSeconds,
      counted: r.counted,
    }),
  );

/** The records cut into consecutive batches at the given points. */
function split(records: readonly UsageHourly[], cuts: readonly number[]): UsageHourly[][] {
  const points = [...new Set(cuts.map((c) => c % (records.length + 1)))].sort((a, b) => a - b);
  const batches: UsageHourly[][] = [];
  let from = 0;
  for (const point of [...points, records.length]) {
    if (point > from) batches.push(records.slice(from, point));
    from = Math.max(from, point);
  }
  return batches;
}

async function store(batches: readonly UsageHourly[][]): Promise<unknown[]> {
  await db.pool.query('TRUNCATE billing_usage');
  for (const batch of batches) await upsertUsage(db.pool, latestUsage(batch));
  const result = await db.pool.query<Record<string, unknown>>(
    `SELECT instance_id, hour_start, account_id, version, record, tie_key FROM billing_usage
     ORDER BY instance_id, hour_start`,
  );
  return result.rows;
}

describe('upsertUsage with latestUsage', () => {
  it('stores the same table whatever the split of the records into batches', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(12), { maxLength: 5 }),
        async (records, cuts) => {
          const whole = await store([records]);
          expect(await store(split(records, cuts))).toEqual(whole);
          // One record per batch, in the reverse order too: the table is latestUsage of all records.
          expect(await store(records.map((r) => [r]).reverse())).toEqual(whole);
          expect(whole).toHaveLength(latestUsage(records).length);
        },
      ),
      { numRuns: 60 },
    );
  }, 30_000);

  it('resolves two values of one version alike in memory and in the table, in either order', async () => {
    // jsonb orders keys by length first ("accountId" before "cpuSeconds"), canonical JSON by code unit: the old rules
    // (jsonb text in SQL, canonical JSON in memory) disagree on these two.
    const a = usage({ hourStart: first, accountId: 'acct-10', txBytes: 10, version: 2 });
    const b = usage({ hourStart: first, accountId: 'a', txBytes: 9, version: 2 });
    const winner = latestUsage([a, b]);
    expect(latestUsage([b, a])).toEqual(winner);
    const inMemory = await store([winner]);
    expect(await store([[a], [b]])).toEqual(inMemory);
    expect(await store([[b], [a]])).toEqual(inMemory);
  });

  it('keys rows stored before tie keys: an equal value without a change, a different one replaces them once', async () => {
    const a = usage({ hourStart: first, txBytes: 10 });
    const b = usage({ instanceId: 'i-2', hourStart: first, txBytes: 10 });
    await db.pool.query('TRUNCATE billing_usage');
    await db.pool.query(
      `INSERT INTO billing_usage (instance_id, hour_start, account_id, version, record)
       VALUES ($1, $2, $3, $4, $5), ($6, $2, $3, $4, $7)`,
      [
        a.instanceId,
        a.hourStart,
        a.accountId,
        a.version,
        JSON.stringify(a),
        b.instanceId,
        JSON.stringify({ ...b, txBytes: 11 }),
      ],
    );
    expect((await upsertUsage(db.pool, [a, b])).map((c) => c.record)).toEqual([b]);
    expect(await upsertUsage(db.pool, [a, b])).toEqual([]);
    const rows = await db.pool.query<{ tx: string; tie_key: string | null }>(
      `SELECT record->>'txBytes' AS tx, tie_key FROM billing_usage ORDER BY instance_id`,
    );
    const key = expect.stringMatching(/^[0-9a-f]{64}$/) as unknown;
    expect(rows.rows).toEqual([
      { tx: '10', tie_key: key },
      { tx: '10', tie_key: key },
    ]);
  });
});
