/**
 * applyReplay on real PostgreSQL: everything in one transaction. A plan whose offsets moved meanwhile changes
 * nothing; a failure after the usage rows were deleted rolls the deletion back; a good plan moves the offsets and
 * deletes exactly the covered rows, leaving invoices alone.
 */
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, loadOffsets, storeOffsets, type TestDatabase } from '@tally/db';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { applyReplay, PlanChangedError } from './replay-apply.ts';
import { planPartition, type ReplayPlan } from './replay-plan.ts';
import type { ReplayTarget } from './replay-targets.ts';

const endpoints = loadConfig(connectionEnv);
const target: ReplayTarget = { service: 'billing', group: 'billing', topic: 'usage', state: 'billing-usage' };
let db: TestDatabase | undefined;

async function fresh(): Promise<TestDatabase> {
  await db?.drop();
  db = await createTestDatabase(endpoints.DATABASE_URL);
  await storeOffsets(db.pool, 'billing', 'usage', [{ partition: 0, nextOffset: '10' }]);
  for (const instance of ['i1', 'i2']) {
    await db.pool.query(
      `INSERT INTO billing_usage (instance_id, hour_start, account_id, version, record) VALUES ($1, 0, 'a', 1, '{}')`,
      [instance],
    );
  }
  return db;
}

const plan = (from: string): ReplayPlan => ({
  targets: [target],
  rows: [planPartition(target, { partition: 0, stored: '10', low: '0', high: '10', from })],
});
const usage = async (d: TestDatabase) =>
  (await d.pool.query<{ instance_id: string }>('SELECT instance_id FROM billing_usage ORDER BY 1')).rows.map(
    (r) => r.instance_id,
  );

beforeEach(async () => {
  await fresh();
});
afterAll(async () => {
  await db?.drop();
});

describe('applyReplay', () => {
  it('moves the offsets and deletes exactly the covered usage rows, in one transaction', async () => {
    const d = db!;
    expect(await applyReplay(d.pool, plan('4'), [{ instanceId: 'i1', hourStart: 0 }])).toEqual({
      partitionsMoved: 1,
      usageRowsDeleted: 1,
    });
    expect((await loadOffsets(d.pool, 'billing', 'usage')).get(0)).toBe('4');
    expect(await usage(d)).toEqual(['i2']);
  });

  it('changes nothing when a consumer moved the offsets after the plan was read', async () => {
    const d = db!;
    await storeOffsets(d.pool, 'billing', 'usage', [{ partition: 0, nextOffset: '12' }]);
    await expect(applyReplay(d.pool, plan('4'), [{ instanceId: 'i1', hourStart: 0 }])).rejects.toThrow(
      PlanChangedError,
    );
    expect((await loadOffsets(d.pool, 'billing', 'usage')).get(0)).toBe('12');
    expect(await usage(d)).toEqual(['i1', 'i2']);
  });

  it('rolls the usage deletion back when storing the offsets fails', async () => {
    const d = db!;
    // An offset the table refuses (CHECK next_offset >= 0): the failure comes after the rows were deleted.
    const bad = plan('4');
    const refused: ReplayPlan = { ...bad, rows: bad.rows.map((row) => ({ ...row, next: '-1' })) };
    await expect(applyReplay(d.pool, refused, [{ instanceId: 'i1', hourStart: 0 }])).rejects.toThrow(/check/i);
    expect((await loadOffsets(d.pool, 'billing', 'usage')).get(0)).toBe('10');
    expect(await usage(d)).toEqual(['i1', 'i2']);
  });
});
