/**
 * usage_daily (migration 0140) against usage_hourly summed per account, UTC day, instance and type, on a real
 * PostgreSQL schema: random inserts, updates (new measures, other owners, types, hours), deletes and partial refreshes
 * in any order; the view must be exact after every step, and after a full refresh the roll-up table alone must be.
 */
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshUsageDaily } from './usage-daily-refresh.ts';

const endpoints = loadConfig(connectionEnv);
const START = Date.parse('2026-10-30T20:00:00Z');
let db: TestDatabase;
let run = 0;

beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
});
afterAll(async () => {
  await db?.drop();
});

const SUMS = `count(*)::int AS n, sum(running_seconds) AS rs, sum(rx_bytes) AS rb, sum(tx_bytes) AS tb,
  sum(rx_packets) AS rp, sum(tx_packets) AS tp, sum(cpu_seconds) AS c`;

/** Rows where `table` differs from usage_hourly summed per key (for the accounts of `prefix`). */
async function drift(table: string, prefix: string): Promise<unknown[]> {
  const result = await db.pool.query<Record<string, unknown>>(
    `SELECT * FROM (
       SELECT account_id, date_trunc('day', hour_start AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day, instance_id,
         instance_type, ${SUMS}
       FROM usage_hourly WHERE starts_with(account_id, $1) GROUP BY 1, 2, 3, 4) AS h
     FULL JOIN (SELECT account_id, day, instance_id, instance_type, instance_hours AS n, running_seconds AS rs,
                  rx_bytes AS rb, tx_bytes AS tb, rx_packets AS rp, tx_packets AS tp, cpu_seconds AS c
                FROM ${table} WHERE starts_with(account_id, $1)) AS d
       USING (account_id, day, instance_id, instance_type)
     WHERE (h.n, h.rs, h.rb, h.tb, h.rp, h.tp, h.c) IS DISTINCT FROM (d.n, d.rs, d.rb, d.tb, d.rp, d.tp, d.c)`,
    [prefix],
  );
  return result.rows;
}

const row = fc.record({
  instance: fc.integer({ min: 0, max: 2 }),
  // 20:00 on the 30th to 04:00 on Nov 1st: three UTC days.
  hour: fc.integer({ min: 0, max: 31 }),
  owner: fc.integer({ min: 0, max: 1 }),
  type: fc.constantFrom('s1.small', 'm1.large'),
  running: fc.integer({ min: 0, max: 3600 }),
  bytes: fc.bigInt({ min: 0n, max: 9_000_000_000_000_000n }),
  cpu: fc.integer({ min: 0, max: 360_000 }).map((c) => (c / 1000).toFixed(3)),
});
type Row = typeof row extends fc.Arbitrary<infer T> ? T : never;

const step = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), rows: fc.array(row, { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('update' as const), target: fc.nat(), row }),
  fc.record({ kind: fc.constant('move' as const), target: fc.nat(), hour: fc.integer({ min: 0, max: 31 }) }),
  fc.record({ kind: fc.constant('delete' as const), target: fc.nat() }),
  fc.record({ kind: fc.constant('refresh' as const), maxKeys: fc.integer({ min: 1, max: 6 }) }),
);

describe('usage_daily', () => {
  it('is exact after any writes and partial refreshes; a full refresh leaves no marks and an exact roll-up', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        run += 1;
        const prefix = `r${run}-`;
        const values = (r: Row) => [
          `${prefix}i${r.instance}`,
          new Date(START + r.hour * 3_600_000),
          `${prefix}a${r.owner}`,
          r.type,
          r.running,
          Number(r.bytes % 5_000_000_000n),
          Number(r.bytes / 2_000_000n),
          r.cpu,
        ];
        const keys = async () =>
          (
            await db.pool.query<{ instance_id: string; hour_start: Date }>(
              `SELECT instance_id, hour_start FROM usage_hourly WHERE starts_with(instance_id, $1)
               ORDER BY instance_id, hour_start`,
              [prefix],
            )
          ).rows;
        for (const s of steps) {
          if (s.kind === 'insert') {
            for (const r of s.rows) {
              await db.pool.query(
                `INSERT INTO usage_hourly (instance_id, hour_start, account_id, instance_type, running_seconds,
                   rx_bytes, tx_bytes, rx_packets, tx_packets, cpu_seconds, counted, version)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 1, 2, $8, '[]', 1) ON CONFLICT DO NOTHING`,
                values(r),
              );
            }
          } else if (s.kind === 'refresh') {
            await db.pool.query(`SELECT usage_daily_refresh($1)`, [s.maxKeys]);
          } else {
            const all = await keys();
            const target = all[s.target % Math.max(1, all.length)];
            if (target === undefined) continue;
            const where = [target.instance_id, target.hour_start];
            if (s.kind === 'delete') {
              await db.pool.query('DELETE FROM usage_hourly WHERE instance_id = $1 AND hour_start = $2', where);
            } else if (s.kind === 'move') {
              await db.pool.query(
                `UPDATE usage_hourly SET hour_start = $3 WHERE instance_id = $1 AND hour_start = $2
                   AND NOT EXISTS (SELECT 1 FROM usage_hourly WHERE instance_id = $1 AND hour_start = $3)`,
                [...where, new Date(START + s.hour * 3_600_000)],
              );
            } else {
              const [, , account, type, running, rx, tx, cpu] = values(s.row);
              await db.pool.query(
                `UPDATE usage_hourly SET account_id = $3, instance_type = $4, running_seconds = $5, rx_bytes = $6,
                   tx_bytes = $7, cpu_seconds = $8, version = version + 1 WHERE instance_id = $1 AND hour_start = $2`,
                [...where, account, type, running, rx, tx, cpu],
              );
            }
          }
          expect(await drift('usage_daily', prefix)).toEqual([]);
        }
        await refreshUsageDaily(db.pool, db.schema, 3);
        expect(await drift('usage_daily', prefix)).toEqual([]);
        expect(await drift('usage_daily_rollup', prefix)).toEqual([]);
        const marks = await db.pool.query('SELECT count(*)::int AS n FROM usage_daily_dirty');
        expect(marks.rows[0]).toEqual({ n: 0 });
      }),
      { numRuns: 30 },
    );
  }, 120_000);

  it('stays exact when a refresh runs while a write is not yet committed', async () => {
    const prefix = 'open-';
    const insert = `INSERT INTO usage_hourly (instance_id, hour_start, account_id, instance_type, running_seconds,
      rx_bytes, tx_bytes, rx_packets, tx_packets, cpu_seconds, counted, version)
      VALUES ('open-i', $1, 'open-a', 's1.small', $2, 1, 1, 1, 1, '0.5', '[]', 1)`;
    await db.pool.query(insert, [new Date(START), 60]);
    await refreshUsageDaily(db.pool, db.schema);
    const writer = await db.pool.connect();
    try {
      await writer.query('BEGIN');
      await writer.query(insert, [new Date(START + 3_600_000), 120]);
      await writer.query(
        `UPDATE usage_hourly SET running_seconds = 90 WHERE instance_id = 'open-i' AND hour_start = $1`,
        [new Date(START)],
      );
      // The refresh sees neither change nor its marks; it must not fold in anything the writer changes.
      await refreshUsageDaily(db.pool, db.schema);
      expect(await drift('usage_daily', prefix)).toEqual([]);
      await writer.query('COMMIT');
    } finally {
      writer.release();
    }
    expect(await drift('usage_daily', prefix)).toEqual([]);
    // Both statements' marks wait for the next refresh.
    const marks = await db.pool.query(`SELECT count(*)::int AS n FROM usage_daily_dirty WHERE instance_id = 'open-i'`);
    expect(marks.rows[0]).toEqual({ n: 2 });
    await refreshUsageDaily(db.pool, db.schema);
    expect(await drift('usage_daily_rollup', prefix)).toEqual([]);
  });
});
