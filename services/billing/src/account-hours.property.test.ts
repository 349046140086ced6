import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BillingHourly, PricingModel, UsageHourly } from '@tally/records';
import { computeAccountHours, planSweep, sweepStart, type MonthPosition } from './account-hours.ts';
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
 * The usage consumer and the stale-hours pass on one account, in memory, as hourly-refresh runs them: version-guarded
 * store; per batch, the sweep planned from the account's stale mark (planSweep), started from the stored positions
 * (sweepStart) and going through the stored values after them, changed hours computed at once, a mark shortly before
 * them recomputed in the batch (folded, when within `foldMs`), later stored hours marked stale and recomputed by the
 * pass, which runs after the batches flagged in `passAfter` and at the end; the last value published per hour.
 */
function publish(
  batches: readonly (readonly UsageHourly[])[],
  timeZone: string,
  passAfter: readonly boolean[] = [],
  foldMs = 72 * HOUR,
) {
  const acct = account({ timeZone });
  const latest = new Map<string, UsageHourly>();
  const published = new Map<number, BillingHourly>();
  const positions = new Map<number, MonthPosition>();
  let mark: { from: number; to: number } | undefined;
  const versionOf = (stored: BillingHourly | undefined) => (stored?.version ?? 0) + 1;
  const monthStart = (h: number) => monthPeriod(monthOf(h, timeZone), timeZone).start;
  const monthEnd = (h: number) => monthPeriod(monthOf(h, timeZone), timeZone).end;
  const pass = () => {
    if (mark === undefined) return;
    const { from, to } = mark;
    const result = computeAccountHours({
      account: acct,
      hours: [],
      stored: new Map([...published].filter(([h]) => h >= monthStart(from) && h < monthEnd(to))),
      usage: [],
      prices: book,
      recomputeFrom: from,
      versionOf,
    });
    expect(result.failed).toEqual([]);
    for (const value of result.values) published.set(value.hourStart, value);
    for (const [h, position] of result.positions) positions.set(h, position);
    mark = undefined;
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
    const hours = [...changed].sort((x, y) => x - y);
    const plan = planSweep({ account: acct, hours, mark, prices: book, foldMs });
    const found = plan.cuts.map((cut) => {
      const before = [...published.keys()].filter((h) => h >= plan.period.start && h < cut);
      if (before.length === 0) return undefined;
      const hourStart = Math.max(...before);
      return { hourStart, position: positions.get(hourStart) ?? null };
    });
    const start = sweepStart(book, acct.currency, plan.period, plan.cuts, found);
    const from = start === undefined ? plan.period.start : found[found.length - 1]!.hourStart + 1;
    const stored = new Map([...published].filter(([h]) => h >= from && h <= plan.last));
    // markLaterHoursStale, before the batch's values are stored.
    if (plan.folded) mark = undefined;
    const later = [...published.keys()].filter((h) => h > plan.staleFrom && h < plan.staleEnd);
    if (later.length > 0) {
      mark = { from: Math.min(mark?.from ?? plan.staleFrom, plan.staleFrom), to: Math.max(mark?.to ?? 0, ...later) };
    }
    const result = computeAccountHours({
      account: acct,
      hours,
      stored,
      usage: [...latest.values()].filter((u) => changed.has(u.hourStart)),
      prices: book,
      versionOf,
      ...(start === undefined ? {} : { start }),
      ...(plan.recomputeFrom === undefined ? {} : { recomputeFrom: plan.recomputeFrom }),
    });
    expect(result.failed).toEqual([]);
    for (const value of result.values) published.set(value.hourStart, value);
    for (const [h, position] of result.positions) positions.set(h, position);
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
  // Every stored position is the one a sweep from the month's first hour gives.
  const full = computeAccountHours({
    account: acct,
    hours: [],
    stored: published,
    usage: [],
    prices: book,
    recomputeFrom: -Infinity,
    versionOf,
  });
  expect(new Map([...positions].filter(([h]) => published.has(h)))).toEqual(full.positions);
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
        fc.constantFrom(0, 3 * HOUR, 72 * HOUR),
        (records, order, sizes, timeZone, passAfter, foldMs) => {
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
          expect(publish(batches, timeZone, passAfter, foldMs)).toEqual(reference);
        },
      ),
      { numRuns: 150 },
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

  it('leaves a stale mark of the previous month to the pass when the next batch is in a new month', () => {
    const h = (n: number) =>
      usage({ instanceId: 'i-2', instanceType: 'g1.large', hourStart: first + n * HOUR, runningSeconds: 3600 });
    // 30..32 are the last hours of March (UTC), 37 is in April; 30 arrives after 31 and 32, then April starts.
    const late = publish([[h(31)], [h(32)], [h(30)], [h(37)]], 'UTC');
    expect(late).toEqual(publish([[h(30), h(31), h(32), h(37)]], 'UTC'));
    expect(late.values.map((v) => v.monthToDate)).toEqual(['0.99', '1.98', '2.97', '0.99']);
  });
});
