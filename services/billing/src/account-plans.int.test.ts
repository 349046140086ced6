import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, inTransaction, type TestDatabase } from '@tally/db';
import { createLogger } from '@tally/log';
import type { PricingModel, UsageHourly } from '@tally/records';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planAccounts } from './account-plans.ts';
import { planAccount } from './account-state.ts';
import { finalizeDue } from './finalizer.ts';
import { invoiceHash } from './invoice-hash.ts';
import { planInvoices, type PlannedInvoice } from './invoice-plan.ts';
import { PriceBook } from './price-book.ts';
import { upsertAccounts, upsertPrices } from './reference-tables.ts';
import { account, at, entry, perUnit, usage } from './test-fixtures.ts';
import { latestUsage } from './latest-usage.ts';
import { upsertUsage } from './usage-table.ts';

const endpoints = loadConfig(connectionEnv);
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
});
afterAll(() => db.drop());

const tiers = (price: string): PricingModel => ({
  kind: 'graduated',
  tiers: [
    { upTo: '1', unitPrice: '0', flatFee: '0' },
    { upTo: null, unitPrice: price, flatFee: '0.5' },
  ],
});
const entries = [
  entry('compute.s1.small', 'USD', '2025-01-01T00:00:00Z', perUnit('0.0104')),
  entry('compute.g1.large', 'USD', '2025-01-01T00:00:00Z', perUnit('1.25')),
  entry('compute.g1.large', 'USD', '2025-03-31T10:00:00Z', perUnit('0.99')),
  entry('egress.gb', 'USD', '2025-01-01T00:00:00Z', tiers('0.09')),
  entry('egress.gb', 'USD', '2025-04-01T03:00:00Z', tiers('0.07')),
  entry('ingress.gb', 'USD', '2025-04-01T01:00:00Z', perUnit('0.01')),
];
const book = PriceBook.from(entries);
const HOUR = 3_600_000;
const first = at('2025-03-31T00:00:00Z');
const zones = ['UTC', 'Europe/Zurich', 'America/New_York', 'Asia/Kolkata'];
const log = createLogger('account-plans-test', 'silent');

const record = fc
  .record({
    account: fc.integer({ min: 0, max: 3 }),
    instance: fc.integer({ min: 1, max: 3 }),
    hour: fc.integer({ min: 0, max: 60 }),
    version: fc.integer({ min: 1, max: 3 }),
    seconds: fc.constantFrom(0, 1, 1200, 1800, 3600),
    tx: fc.constantFrom(0, 1, 999_999_999, 2_500_000_000, 9_007_199_254_740_000),
    rx: fc.constantFrom(0, 333_333_333),
  })
  .map((r) =>
    usage({
      accountId: `acct-${r.account}`,
      instanceId: `acct-${r.account}-i-${r.instance}`,
      instanceType: r.instance === 2 ? 'g1.large' : 's1.small',
      hourStart: first + r.hour * HOUR,
      version: r.version,
      runningSeconds: r.seconds,
      txBytes: r.tx,
      rxBytes: r.rx,
    }),
  );

const view = (list: readonly PlannedInvoice[] | undefined) =>
  (list ?? []).map((p) => ({
    month: p.month,
    kind: p.kind,
    currency: p.currency,
    hash: p.invoice === undefined ? String(p.problem) : invoiceHash(p.invoice),
    entries: p.invoice === undefined ? [] : [...p.entries].map(([m, e]) => [m, [...e.keys()]]),
  }));

describe('planAccounts (planAccount for many accounts in a few round trips)', () => {
  it('plans what planAccount plans, before and after months are finalized and late usage lands', async () => {
    let run = 0;
    let adjusted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { minLength: 1, maxLength: 60 }),
        fc.array(record, { maxLength: 20 }),
        fc.constantFrom(1, 7, 5_000),
        async (records, late, chunkRows) => {
          run += 1;
          const prefix = `run${run}-`;
          const accounts = zones.map((timeZone, i) =>
            account({
              accountId: `${prefix}acct-${i}`,
              timeZone,
              freeCredit: i === 1 ? '3' : '0',
              createdAt: at('2020-01-01T00:00:00Z'),
            }),
          );
          const ids = [...accounts.map((a) => a.accountId), `${prefix}unknown`];
          const ours = (list: readonly UsageHourly[]) =>
            list.map((r): UsageHourly => ({
              ...r,
              accountId: prefix + r.accountId,
              instanceId: prefix + r.instanceId,
            }));
          const compare = () =>
            inTransaction(db.pool, async (client) => {
              const options = { prices: book, adjustmentMonths: 3 };
              const batched = await planAccounts(client, ids, { ...options, chunkRows });
              expect(batched.has(`${prefix}unknown`)).toBe(false);
              for (const acct of accounts) {
                const one = await planAccount(client, acct.accountId, options);
                expect(view(batched.get(acct.accountId))).toEqual(view(one));
                for (const p of one ?? [])
                  adjusted += p.invoice?.lines.filter((l) => l.kind === 'adjustment').length ?? 0;
              }
            });
          await inTransaction(db.pool, async (client) => {
            await upsertAccounts(client, accounts);
            await upsertPrices(client, entries);
            await upsertUsage(client, latestUsage(ours(records)));
          });
          await compare();
          // March closed (and April where its end has passed in the account's zone), then late usage in it.
          await db.pool.query(
            `INSERT INTO billing_dirty_accounts (account_id) SELECT * FROM unnest($1::text[]) ON CONFLICT DO NOTHING`,
            [ids],
          );
          await finalizeDue(db.pool, {
            issuer: prefix,
            numberPrefix: `R${run}`,
            graceMs: HOUR,
            adjustmentMonths: 3,
            batchSize: 3,
            clock: () => at('2025-04-02T12:00:00Z'),
            gate: ({ now }) => Promise.resolve(now),
            log,
          });
          await inTransaction(db.pool, async (client) => {
            await upsertUsage(client, latestUsage(ours(late.map((r) => ({ ...r, version: r.version + 3 })))));
          });
          await compare();
        },
      ),
      { numRuns: 25 },
    );
    // The runs did close months and bill late usage as adjustments (else the second comparison proves little).
    const closed = await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM invoices WHERE status = 'finalized'`);
    expect(Number(closed.rows[0]!.n)).toBeGreaterThan(0);
    expect(adjusted).toBeGreaterThan(0);
  }, 120_000);

  it('finalizes two due months of one account in one chunk, in order, as the record-by-record plan bills them', async () => {
    const acct = account({
      accountId: 'two-months',
      timeZone: 'UTC',
      freeCredit: '30',
      createdAt: at('2020-01-01T00:00:00Z'),
    });
    const jan = at('2025-01-10T00:00:00Z');
    const feb = at('2025-02-10T00:00:00Z');
    const records = [0, 1, 2].flatMap((h) => [
      usage({ accountId: acct.accountId, instanceId: 'tm-1', instanceType: 'g1.large', hourStart: jan + h * HOUR }),
      usage({ accountId: acct.accountId, instanceId: 'tm-1', instanceType: 'g1.large', hourStart: feb + h * HOUR }),
      usage({ accountId: 'other', instanceId: 'o-1', instanceType: 'g1.large', hourStart: jan + h * HOUR }),
    ]);
    const other = await createTestDatabase(endpoints.DATABASE_URL);
    try {
      await inTransaction(other.pool, async (client) => {
        await upsertAccounts(client, [
          acct,
          account({ accountId: 'other', timeZone: 'UTC', createdAt: at('2020-01-01T00:00:00Z') }),
        ]);
        await upsertPrices(client, entries);
        await upsertUsage(client, records);
        await client.query(`INSERT INTO billing_dirty_accounts (account_id) VALUES ($1), ('other')`, [acct.accountId]);
      });
      const outcome = await finalizeDue(other.pool, {
        issuer: 'test',
        numberPrefix: 'INV',
        graceMs: HOUR,
        adjustmentMonths: 3,
        batchSize: 50,
        clock: () => at('2025-06-01T00:00:00Z'),
        gate: ({ now }) => Promise.resolve(now),
        log,
        publish: { topic: 'invoices', duePeriodMs: 14 * 86_400_000 },
      });
      expect(outcome.finalized).toBe(3);
      const stored = await other.pool.query<{
        account_id: string;
        month: string;
        number: string;
        content_hash: string;
      }>(`SELECT account_id, month, number, content_hash FROM invoices WHERE status = 'finalized' ORDER BY number`);
      // January first (account ids in byte order: 'other' < 'two-months'); February starts from January's credit.
      const expected = planInvoices({
        account: acct,
        finalized: [],
        usage: records,
        prices: book,
        adjustmentMonths: 3,
      });
      expect(stored.rows.map((r) => [r.account_id, r.month, r.number])).toEqual([
        ['other', '2025-01', 'INV-2025-000001'],
        ['two-months', '2025-01', 'INV-2025-000002'],
        ['two-months', '2025-02', 'INV-2025-000003'],
      ]);
      expect(stored.rows.slice(1).map((r) => r.content_hash)).toEqual(expected.map((p) => invoiceHash(p.invoice!)));
      const published = await other.pool.query<{ key: string; number: string }>(
        `SELECT key, payload->>'number' AS number FROM outbox ORDER BY id`,
      );
      expect(published.rows.map((r) => r.number)).toEqual(stored.rows.map((r) => r.number));
    } finally {
      await other.drop();
    }
  }, 30_000);
});
