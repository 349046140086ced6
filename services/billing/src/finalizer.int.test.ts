import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, inTransaction, type TestDatabase } from '@tally/db';
import { createLogger } from '@tally/log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markDirty } from './dirty-accounts.ts';
import { finalizeDue, type FinalizerOptions } from './finalizer.ts';
import { upsertAccounts, upsertPrices } from './reference-tables.ts';
import { account, at, entry, perUnit, usage } from './test-fixtures.ts';
import { upsertUsage } from './usage-table.ts';

const endpoints = loadConfig(connectionEnv);
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
});
afterAll(() => db.drop());

const HOUR = 3_600_000;
const acct = account({ accountId: 'late', timeZone: 'UTC', createdAt: at('2020-01-01T00:00:00Z') });
const hour = (iso: string, instanceId: string) =>
  usage({ accountId: acct.accountId, instanceId, instanceType: 'g1.large', hourStart: at(iso) });

describe('finalizeDue and months that become due on late data', () => {
  it('waits for a watermark round taken after the month was first seen due, then bills every late hour on it', async () => {
    await inTransaction(db.pool, async (client) => {
      await upsertAccounts(client, [acct]);
      await upsertPrices(client, [entry('compute.g1.large', 'USD', '2020-01-01T00:00:00Z', perUnit('1.25'))]);
      await upsertUsage(client, [hour('2025-02-10T00:00:00Z', 'i-1')]);
      await markDirty(client, [acct.accountId]);
    });
    const asked: number[] = [];
    let roundTakenAt = at('2025-03-05T00:00:00Z');
    const options = (now: string): FinalizerOptions => ({
      issuer: 'test',
      numberPrefix: 'INV',
      graceMs: HOUR,
      adjustmentMonths: 3,
      batchSize: 10,
      clock: () => at(now),
      // A done round taken at roundTakenAt; what falls due later waits for the next one.
      gate: ({ dueAt }) => {
        asked.push(dueAt);
        return Promise.resolve(roundTakenAt);
      },
      log: createLogger('finalizer-test', 'silent'),
    });
    expect((await finalizeDue(db.pool, options('2025-03-05T00:00:00Z'))).finalized).toBe(1); // February

    // Late February usage beyond grace, read after March fell due (March has no usage of its own): the first batch.
    await inTransaction(db.pool, async (client) => {
      await upsertUsage(client, [hour('2025-02-27T00:00:00Z', 'i-1')]);
      await markDirty(client, [acct.accountId]);
    });
    // March's adjustment draft is due since April 1 01:00, and a round taken on April 5 (for other accounts' months)
    // is done; but the draft was first seen due now, after that round: it waits for a round taken after now.
    roundTakenAt = at('2025-04-05T00:00:00Z');
    const seen = at('2025-04-10T00:00:00Z');
    expect(await finalizeDue(db.pool, options('2025-04-10T00:00:00Z'))).toEqual({
      finalized: 0,
      blocked: 0,
      ready: false,
    });
    const fixed = await db.pool.query<{ due_from: string }>(`SELECT due_from FROM invoices WHERE month = '2025-03'`);
    expect(fixed.rows.map((r) => Number(r.due_from))).toEqual([seen]);
    // The second late batch arrives before the next round is done, and the round is taken after the month was seen.
    await inTransaction(db.pool, async (client) => {
      await upsertUsage(client, [hour('2025-02-27T00:00:00Z', 'i-2')]);
      await markDirty(client, [acct.accountId]);
    });
    expect((await finalizeDue(db.pool, options('2025-04-10T00:01:00Z'))).finalized).toBe(0);
    expect(asked.at(-1)).toBe(seen); // the gate is asked for a round after it appeared; later passes do not move it
    roundTakenAt = at('2025-04-10T00:01:00Z');
    expect((await finalizeDue(db.pool, options('2025-04-10T00:02:00Z'))).finalized).toBe(1);

    const march = await db.pool.query<{ month: string; lines: { kind: string; quantity: string }[] }>(
      `SELECT month, content->'lines' AS lines FROM invoices WHERE status = 'finalized' AND month = '2025-03'`,
    );
    expect(march.rows.map((r) => r.lines.map((l) => [l.kind, l.quantity]))).toEqual([[['adjustment', '2']]]);
  }, 30_000);
});
