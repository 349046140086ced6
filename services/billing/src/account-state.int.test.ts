import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, inTransaction, type TestDatabase } from '@tally/db';
import type { PricingModel, UsageHourly } from '@tally/records';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planAccounts } from './account-state.ts';
import { invoiceHash } from './invoice-hash.ts';
import { planInvoices } from './invoice-plan.ts';
import { PriceBook } from './price-book.ts';
import { upsertAccounts, upsertPrices } from './reference-tables.ts';
import { account, at, entry, perUnit, usage } from './test-fixtures.ts';
import { upsertUsage } from './usage-table.ts';
import { latestUsage } from './latest-usage.ts';

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
// Price changes mid-month and at odd hours, so stretches must split at them.
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

describe('planAccounts (usage summed by PostgreSQL per stretch)', () => {
  it('plans the same invoices, byte for byte, as planInvoices over the usage records', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 60 }), async (records) => {
        run += 1;
        const prefix = `run${run}-`;
        const accounts = zones.map((timeZone, i) =>
          account({ accountId: `${prefix}acct-${i}`, timeZone, createdAt: at('2020-01-01T00:00:00Z') }),
        );
        const ours = records.map((r): UsageHourly => ({
          ...r,
          accountId: prefix + r.accountId,
          instanceId: prefix + r.instanceId,
        }));
        const plans = await inTransaction(db.pool, async (client) => {
          await upsertAccounts(client, accounts);
          await upsertPrices(client, entries);
          await upsertUsage(client, latestUsage(ours));
          return planAccounts(
            client,
            accounts.map((a) => a.accountId),
            { prices: book, adjustmentMonths: 3 },
          );
        });
        for (const acct of accounts) {
          const expected = planInvoices({
            account: acct,
            finalized: [],
            usage: ours,
            prices: book,
            adjustmentMonths: 3,
          });
          const got = plans.get(acct.accountId) ?? [];
          const view = (list: typeof got) =>
            list.map((p) => ({
              month: p.month,
              kind: p.kind,
              hash: p.invoice === undefined ? String(p.problem) : invoiceHash(p.invoice),
            }));
          expect(view(got)).toEqual(view(expected));
        }
      }),
      { numRuns: 40 },
    );
  }, 50_000);
});
