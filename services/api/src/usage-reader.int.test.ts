/**
 * The fast usage reader (usage_daily + windows) against the reference (usageSql: one pass over usage_hourly), on a
 * real PostgreSQL schema: random usage (instances changing type and owner, rewritten and deleted hours, over a DST
 * change and a month's end), random ranges, buckets, time zones, groupings and page sizes. Every page and the totals
 * must be equal, byte for byte; the totals must not depend on the bucket; usage_daily must equal usage_hourly summed
 * per day.
 */
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import type { UsageHourly } from '@tally/records';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUsage } from './test-seed.ts';
import { usagePage, type UsagePage } from './usage-page.ts';
import { usageSql, type Bucket, type MeasureRow, type UsageGroupBy, type UsageRequest } from './usage-query.ts';
import { decodeCursor } from './usage-cursor.ts';
import { planSql, readUsagePage, windowPlan, type DayRow } from './usage-reader.ts';

const endpoints = loadConfig(connectionEnv);
// 2026-10-20 to 2026-11-08: Zurich and New York leave summer time inside, October ends inside.
const START = Date.parse('2026-10-20T00:00:00Z');
const HOURS = 19 * 24;
const ZONES = ['UTC', 'Europe/Zurich', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham'];
let db: TestDatabase;
let run = 0;

beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
});
afterAll(async () => {
  await db?.drop();
});

const hourRow = fc.record({
  instance: fc.integer({ min: 0, max: 3 }),
  hour: fc.integer({ min: 0, max: HOURS - 1 }),
  type: fc.constantFrom('s1.small', 'm1.large'),
  running: fc.integer({ min: 0, max: 3600 }),
  bytes: fc.bigInt({ min: 0n, max: 9_000_000_000_000_000n }),
  cpu: fc.integer({ min: 0, max: 360_000 }).map((c) => (c / 1000).toFixed(3)),
});

type HourRow = typeof hourRow extends fc.Arbitrary<infer T> ? T : never;

const usage = fc.record({
  rows: fc.array(hourRow, { minLength: 1, maxLength: 120 }),
  // Rewritten afterwards (metering's UPDATE): new measures, and some move to another type or owner.
  rewrites: fc.array(fc.record({ index: fc.nat(), row: hourRow, otherOwner: fc.boolean() }), { maxLength: 20 }),
  deletes: fc.array(fc.nat(), { maxLength: 5 }),
});

const request = fc.record({
  from: fc.integer({ min: -30, max: HOURS + 10 }),
  length: fc.integer({ min: 1, max: HOURS + 40 }),
  bucket: fc.constantFrom<Bucket>('hour', 'day', 'month'),
  groupBy: fc.constantFrom<UsageGroupBy>('instance', 'instanceType', 'sku'),
  timeZone: fc.constantFrom(...ZONES),
  limit: fc.integer({ min: 1, max: 40 }),
});

type Read = (request: UsageRequest) => Promise<UsagePage>;
const reference: Read = async (r) =>
  usagePage((await db.pool.query<MeasureRow>(usageSql(r, db.schema))).rows, r.groupBy, r.limit, r.after);
const fast: Read = (r) => readUsagePage(db.pool, r, db.schema);

/** Every page, in order, following nextCursor. */
async function allPages(read: Read, r: UsageRequest): Promise<UsagePage[]> {
  const pages: UsagePage[] = [];
  let after: UsageRequest['after'];
  do {
    const page = await read({ ...r, after });
    pages.push(page);
    after = page.nextCursor === null ? undefined : decodeCursor(page.nextCursor);
  } while (after !== undefined && pages.length < 500);
  return pages;
}

describe('usage reader', () => {
  it('counts a UTC day cut by local midnight in the bucket of its noon, less the hours that are not', async () => {
    const rows = [0, 1, 2].flatMap((n) =>
      Array.from({ length: 10 * 24 }, (_, h) => ({
        instanceId: `cut-i${n}`,
        accountId: 'cut',
        instanceType: n === 2 ? 'm1.large' : 's1.small',
        hourStart: START + h * 3_600_000,
        runningSeconds: (h * 37 + n) % 3601,
        rxBytes: h * 1_000_003 + n,
        txBytes: h,
        rxPackets: n,
        txPackets: 1,
        cpuSeconds: `${h % 7}.${n}5`,
        counted: [{ interfaceId: 'eth0', slots: [0] }],
        version: 1,
      })),
    );
    await insertUsage(db.pool, rows);
    for (const timeZone of ['Europe/Zurich', 'America/New_York', 'Asia/Kolkata']) {
      const r: UsageRequest = {
        scope: 'account',
        id: 'cut',
        from: new Date(START),
        to: new Date(START + 10 * 86_400_000),
        bucket: 'day',
        groupBy: 'instance',
        timeZone,
        limit: 1000,
      };
      const window = { start: r.from, hint: new Date(START + 20 * 86_400_000) };
      const plan = windowPlan((await db.pool.query<DayRow>(planSql(r, window))).rows, window, true, 'day');
      expect(plan.groups.shifted?.length, timeZone).toBeGreaterThan(5);
      expect(await fast(r)).toEqual(await reference(r));
      for (const groupBy of ['instanceType', 'sku'] as const)
        expect(await allPages(fast, { ...r, groupBy, limit: 7 })).toEqual(
          await allPages(reference, { ...r, groupBy, limit: 7 }),
        );
    }
  });

  it('pages and totals equal the reference, exactly, whatever the bucket, zone, grouping and page size', async () => {
    await fc.assert(
      fc.asyncProperty(usage, fc.array(request, { minLength: 1, maxLength: 3 }), async (data, requests) => {
        run += 1;
        const account = `acct-${run}`;
        const instanceId = (n: number) => `${account}-i${n}`;
        const toRow = (r: HourRow, owner = account): UsageHourly => ({
          instanceId: instanceId(r.instance),
          accountId: owner,
          instanceType: r.type,
          hourStart: START + r.hour * 3_600_000,
          runningSeconds: r.running,
          rxBytes: Number(r.bytes % 5_000_000_000n),
          txBytes: Number(r.bytes / 2_000_000n),
          rxPackets: r.running * 7,
          txPackets: r.hour,
          cpuSeconds: r.cpu,
          counted: [{ interfaceId: 'eth0', slots: [0] }],
          version: 1,
        });
        const unique = new Map(data.rows.map((r) => [`${r.instance}|${r.hour}`, toRow(r)]));
        const rows = [...unique.values()];
        await insertUsage(db.pool, rows);
        for (const rewrite of data.rewrites) {
          const old = rows[rewrite.index % rows.length]!;
          const row = toRow(rewrite.row, rewrite.otherOwner ? `${account}-other` : account);
          await db.pool.query(
            `UPDATE usage_hourly SET account_id = $3, instance_type = $4, running_seconds = $5, rx_bytes = $6,
               tx_bytes = $7, cpu_seconds = $8 WHERE instance_id = $1 AND hour_start = $2`,
            [
              old.instanceId,
              new Date(old.hourStart),
              row.accountId,
              row.instanceType,
              row.runningSeconds,
              row.rxBytes,
              row.txBytes,
              row.cpuSeconds,
            ],
          );
        }
        for (const index of data.deletes) {
          const old = rows[index % rows.length]!;
          await db.pool.query('DELETE FROM usage_hourly WHERE instance_id = $1 AND hour_start = $2', [
            old.instanceId,
            new Date(old.hourStart),
          ]);
        }
        for (const q of requests) {
          for (const scope of ['account', 'instance'] as const) {
            const r: UsageRequest = {
              scope,
              id: scope === 'account' ? account : instanceId(0),
              from: new Date(START + q.from * 3_600_000),
              to: new Date(START + (q.from + q.length) * 3_600_000),
              bucket: q.bucket,
              groupBy: q.groupBy,
              timeZone: q.timeZone,
              limit: q.limit,
            };
            const expected = await allPages(reference, r);
            expect(await allPages(fast, r)).toEqual(expected);
            // The range's totals do not depend on how it is bucketed.
            for (const bucket of ['hour', 'day', 'month'] as const)
              expect((await fast({ ...r, bucket, limit: 1 })).totals).toEqual(expected[0]!.totals);
          }
        }
      }),
      { numRuns: 12 },
    );
    // The roll-up is usage_hourly summed per instance, owner, type and UTC day, after every insert, update, delete.
    const drift = await db.pool.query(
      `SELECT * FROM (
         SELECT account_id, date_trunc('day', hour_start AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day, instance_id,
           instance_type, count(*)::int AS n, sum(running_seconds) AS rs, sum(rx_bytes) AS rb, sum(tx_bytes) AS tb,
           sum(rx_packets) AS rp, sum(tx_packets) AS tp, sum(cpu_seconds) AS c
         FROM usage_hourly GROUP BY 1, 2, 3, 4) AS h
       FULL JOIN (SELECT * FROM usage_daily WHERE instance_hours <> 0) AS d
         USING (account_id, day, instance_id, instance_type)
       WHERE (h.n, h.rs, h.rb, h.tb, h.rp, h.tp, h.c) IS DISTINCT FROM
             (d.instance_hours, d.running_seconds, d.rx_bytes, d.tx_bytes, d.rx_packets, d.tx_packets, d.cpu_seconds)`,
    );
    expect(drift.rows).toEqual([]);
  }, 120_000);
});
