import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BillingHourly, PricingModel, UsageHourly } from '@tally/records';
import { computeAccountHours } from './account-hours.ts';
import { monthOf, monthPeriod } from './billing-month.ts';
import { invoiceHash } from './invoice-hash.ts';
import { planInvoices } from './invoice-plan.ts';
import { PriceBook } from './price-book.ts';
import { account, at, entry, perUnit, usage } from './test-fixtures.ts';

const HOUR = 3_600_000;
const tiers = (kind: 'graduated' | 'volume', price: string): PricingModel => ({
  kind,
  tiers: [
    { upTo: '1', unitPrice: '0', flatFee: '0' },
    { upTo: '2.5', unitPrice: price, flatFee: '0.5' },
    { upTo: null, unitPrice: '0.01', flatFee: '0' },
  ],
});
const book = PriceBook.from([
  entry('compute.s1.small', 'USD', '2025-01-01T00:00:00Z', tiers('volume', '0.0104')),
  entry('compute.g1.large', 'USD', '2025-01-01T00:00:00Z', perUnit('1.25')),
  entry('compute.g1.large', 'USD', '2025-03-31T10:00:00Z', perUnit('0.99')),
  entry('egress.gb', 'USD', '2025-01-01T00:00:00Z', tiers('graduated', '0.09')),
]);
// 48 hours across the end of March (in both zones), so months, tiers and a price change are all crossed.
const first = at('2025-03-30T12:00:00Z');

const record: fc.Arbitrary<UsageHourly> = fc
  .record({
    instance: fc.integer({ min: 1, max: 3 }),
    hour: fc.integer({ min: 0, max: 47 }),
    version: fc.integer({ min: 1, max: 3 }),
    seconds: fc.constantFrom(0, 1200, 1800, 3600),
    tx: fc.integer({ min: 0, max: 900_000_000 }),
  })
  .map((r) =>
    usage({
      instanceId: `i-${r.instance}`,
      instanceType: r.instance === 2 ? 'g1.large' : 's1.small',
      hourStart: first + r.hour * HOUR,
      version: r.version,
      runningSeconds: r.seconds,
      txBytes: r.tx,
    }),
  );

/**
 * The usage consumer and the stale-hours pass on one account, in memory: version-guarded store, changed hours
 * computed at once, later stored hours marked stale (as markLaterHoursStale) and recomputed by the pass, which runs
 * after the batches flagged in `passAfter` and at the end; the last value published per hour.
 */
function publish(batches: readonly (readonly UsageHourly[])[], timeZone: string, passAfter: readonly boolean[] = []) {
  const acct = account({ timeZone });
  const latest = new Map<string, UsageHourly>();
  const published = new Map<number, BillingHourly>();
  let staleFrom: number | undefined;
  const pass = () => {
    if (staleFrom === undefined) return;
    const result = computeAccountHours({
      account: acct,
      hours: [],
      stored: published,
      usage: [],
      prices: book,
      recomputeFrom: staleFrom,
      versionOf: (stored) => (stored?.version ?? 0) + 1,
    });
    expect(result.failed).toEqual([]);
    for (const value of result.values) published.set(value.hourStart, value);
    staleFrom = undefined;
  };
  for (const [b, batch] of batches.entries()) {
    const changed = new Set<number>();
    for (const r of batch) {
      const key = `${r.instanceId}|${r.hourStart}`;
      const was = latest.get(key);
      const wins =
        was === undefined ||
        was.version < r.version ||
        (was.version === r.version && JSON.stringify(was) < JSON.stringify(r));
      if (!wins) continue;
      latest.set(key, r);
      changed.add(r.hourStart);
    }
    if (changed.size === 0) continue;
    const from = Math.min(...changed);
    const end = monthPeriod(monthOf(Math.max(...changed), timeZone), timeZone).end;
    if ([...published.keys()].some((h) => h > from && h < end)) staleFrom = Math.min(staleFrom ?? from, from);
    const result = computeAccountHours({
      account: acct,
      hours: changed,
      stored: published,
      usage: [...latest.values()].filter((u) => changed.has(u.hourStart)),
      prices: book,
      versionOf: (stored) => (stored?.version ?? 0) + 1,
    });
    expect(result.failed).toEqual([]);
    for (const value of result.values) published.set(value.hourStart, value);
    if (passAfter[b] === true) pass();
  }
  pass();
  const values = [...published.values()]
    .sort((a, b) => a.hourStart - b.hourStart)
    .map(({ version: _version, ...value }) => value);
  const invoices = planInvoices({
    account: acct,
    finalized: [],
    usage: latest.values(),
    prices: book,
    adjustmentMonths: 3,
  }).map((p) => invoiceHash(p.invoice!));
  return { values, invoices };
}

describe('billing.hourly is a function of the month', () => {
  it('any permutation and batching of the usage publishes the same values and bills the same invoices', () => {
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 40, maxLength: 40 }),
        fc.constantFrom('UTC', 'Europe/Zurich'),
        fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
        (records, order, sizes, timeZone, passAfter) => {
          const reference = publish([[...records].sort((a, b) => a.hourStart - b.hourStart)], timeZone);
          const shuffled = records
            .map((r, i) => ({ r, k: order[i]! }))
            .sort((a, b) => a.k - b.k)
            .map((x) => x.r);
          const batches: UsageHourly[][] = [];
          for (let i = 0, b = 0; i < shuffled.length; b += 1) {
            batches.push(shuffled.slice(i, i + sizes[b]!));
            i += sizes[b]!;
          }
          expect(publish(batches, timeZone, passAfter)).toEqual(reference);
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);

  it('republishes later hours of the month when an earlier hour arrives late', () => {
    const h = (n: number, seconds: number) =>
      usage({ instanceId: 'i-2', instanceType: 'g1.large', hourStart: first + n * HOUR, runningSeconds: seconds });
    const inOrder = publish([[h(1, 3600)], [h(2, 3600)], [h(3, 3600)]], 'UTC');
    const late = publish([[h(2, 3600)], [h(3, 3600)], [h(1, 3600)]], 'UTC');
    expect(late.values.map((v) => v.monthToDate)).toEqual(['1.25', '2.5', '3.75']);
    expect(late).toEqual(inOrder);
  });
});
