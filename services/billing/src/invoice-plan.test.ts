import { describe, expect, it } from 'vitest';
import { planInvoices, monthsBefore } from './invoice-plan.ts';
import { PriceBook } from './price-book.ts';
import { account, at, emptyBook, entry, finalizeFirst, perUnit, usage, type FinalizedBook } from './test-fixtures.ts';
import type { PriceSource } from './price-book.ts';
import type { Account, UsageHourly } from '@tally/records';

const book = PriceBook.from([entry('compute.g1.large', 'USD', '2025-01-01T00:00:00Z', perUnit('1.25'))]);
const acct = account({ timeZone: 'UTC', freeCredit: '2.00' });
const g1 = (iso: string, seconds = 3600, version = 1) =>
  usage({ instanceType: 'g1.large', hourStart: at(iso), runningSeconds: seconds, version });

describe('planInvoices', () => {
  it('plans each open month oldest first and chains the credit', () => {
    const plans = planInvoices({
      account: acct,
      finalized: [],
      usage: [g1('2025-04-02T00:00:00Z'), g1('2025-03-02T00:00:00Z')],
      prices: book,
      adjustmentMonths: 3,
    });
    expect(plans.map((p) => [p.month, p.invoice?.total, p.invoice?.creditRemaining])).toEqual([
      ['2025-03', '0.00', '0.75'],
      ['2025-04', '0.50', '0'],
    ]);
  });

  it('bills late usage of a finalized month as adjustments on the next invoice, never on the finalized one', () => {
    const march = planInvoices({
      account: acct,
      finalized: [],
      usage: [g1('2025-03-02T00:00:00Z')],
      prices: book,
      adjustmentMonths: 3,
    })[0]!.invoice!;
    const late = [g1('2025-03-02T00:00:00Z', 3600, 1), g1('2025-03-02T00:00:00Z', 1800, 2), g1('2025-03-05T00:00:00Z')];
    const plans = planInvoices({ account: acct, finalized: [march], usage: late, prices: book, adjustmentMonths: 3 });
    expect(plans.map((p) => p.month)).toEqual(['2025-04']);
    const april = plans[0]!.invoice!;
    expect(april.lines.map((l) => [l.kind, l.adjustsMonth, l.quantity, l.roundedAmount])).toEqual([
      ['adjustment', '2025-03', '0.5', '0.63'],
      ['credit', null, null, '-0.63'],
    ]);
  });

  it('reports a month it cannot build, and the months after it wait', () => {
    const plans = planInvoices({
      account: acct,
      finalized: [],
      usage: [usage({ hourStart: at('2025-03-02T00:00:00Z') }), g1('2025-04-02T00:00:00Z')],
      prices: book,
      adjustmentMonths: 3,
    });
    expect(plans.map((p) => [p.month, p.invoice === undefined, String(p.problem)])).toEqual([
      ['2025-03', true, expect.stringMatching(/no price for compute.s1.small/)],
      ['2025-04', true, expect.stringMatching(/no price for compute.s1.small/)],
    ]);
  });

  it('counts months back across years', () => {
    expect(monthsBefore('2025-02', 3)).toBe('2024-11');
  });
});

const HOUR = 3_600_000;
/** One g1.large running every hour of [fromIso, toIso). */
const g1Hours = (fromIso: string, toIso: string, version = 1): UsageHourly[] => {
  const list: UsageHourly[] = [];
  for (let t = at(fromIso); t < at(toIso); t += HOUR) list.push(g1(new Date(t).toISOString(), 3600, version));
  return list;
};
const plan = (a: Account, book: FinalizedBook, usage: UsageHourly[], prices: PriceSource = book2) =>
  planInvoices({
    account: a,
    finalized: book.regular,
    adjustmentInvoices: book.adjustment,
    billedEntries: book.billedEntries,
    usage,
    prices,
    adjustmentMonths: 3,
  });
/** Hours billed over every finalized invoice: usage lines plus adjustment lines, whatever the currency. */
const billedHours = (book: FinalizedBook): number =>
  [...book.regular, ...book.adjustment]
    .flatMap((i) => i.lines)
    .filter((l) => l.sku === 'compute.g1.large')
    .reduce((sum, l) => sum + Number(l.quantity), 0);
const book2 = PriceBook.from([
  entry('compute.g1.large', 'USD', '2025-01-01T00:00:00Z', perUnit('1.25')),
  entry('compute.g1.large', 'JPY', '2025-01-01T00:00:00Z', perUnit('190')),
]);

describe('planInvoices when the account changes (README, "Account changes")', () => {
  for (const timeZone of ['America/New_York', 'Asia/Tokyo']) {
    it(`a time zone change (UTC → ${timeZone}) after January takes effect in February; January stays as billed`, () => {
      const utc = account({ timeZone: 'UTC' });
      const book = emptyBook();
      const january = g1Hours('2025-01-31T12:00:00Z', '2025-02-01T00:00:00Z');
      expect(finalizeFirst(book, plan(utc, book, january))).toBe('2025-01');

      const moved = { ...utc, timeZone };
      // February's first hours (which are January in New York) and a late January hour (February in Tokyo).
      const later = [...january, ...g1Hours('2025-01-31T20:00:00Z', '2025-01-31T22:00:00Z', 2)].concat(
        g1Hours('2025-02-01T00:00:00Z', '2025-02-01T06:00:00Z'),
        [g1('2025-01-10T00:00:00Z')],
      );
      const plans = plan(moved, book, later);
      expect(plans.map((p) => [p.month, p.kind, p.currency, p.problem])).toEqual([
        ['2025-02', 'regular', 'USD', undefined],
      ]);
      const february = plans[0]!.invoice!;
      expect(february.periodStart).toBe(at('2025-02-01T00:00:00Z'));
      expect(february.timeZone).toBe(timeZone);
      expect(february.lines.map((l) => [l.kind, l.adjustsMonth, l.quantity])).toEqual([
        ['usage', null, '6'],
        ['adjustment', '2025-01', '1'],
      ]);
      finalizeFirst(book, plans);
      expect(billedHours(book)).toBe(12 + 6 + 1);
      // Late data for January after the change, once more: adjusted on the next invoice, exactly once.
      const march = plan(moved, book, [...later, g1('2025-01-11T00:00:00Z'), g1('2025-03-05T00:00:00Z')]);
      expect(march.map((p) => [p.month, p.invoice?.lines.map((l) => [l.kind, l.adjustsMonth, l.quantity])])).toEqual([
        [
          '2025-03',
          [
            ['usage', null, '1'],
            ['adjustment', '2025-01', '1'],
          ],
        ],
      ]);
    });
  }

  it('a currency change keeps finalized months in their currency: adjustments go on a separate invoice in it', () => {
    const usd = account({ timeZone: 'UTC', freeCredit: '2.00' });
    const book = emptyBook();
    const january = g1Hours('2025-01-31T00:00:00Z', '2025-01-31T01:00:00Z');
    finalizeFirst(book, plan(usd, book, january));
    expect(book.regular[0]).toMatchObject({ currency: 'USD', total: '0.00', creditRemaining: '0.75' });

    const jpy = { ...usd, currency: 'JPY' };
    const later = [...january, g1('2025-01-15T00:00:00Z'), g1('2025-01-16T00:00:00Z'), g1('2025-02-03T00:00:00Z')];
    const plans = plan(jpy, book, later);
    expect(
      plans.map((p) => [
        p.month,
        p.kind,
        p.currency,
        p.invoice?.lines.map((l) => [l.kind, l.priceEntryKey, l.roundedAmount]),
      ]),
    ).toEqual([
      ['2025-02', 'regular', 'JPY', [['usage', 'compute.g1.large|JPY|2025-01-01T00:00:00.000Z', '190']]],
      [
        '2025-02',
        'adjustment',
        'USD',
        [
          ['adjustment', 'compute.g1.large|USD|2025-01-01T00:00:00.000Z', '2.50'],
          ['credit', null, '-0.75'],
        ],
      ],
    ]);
    // Credit is never converted: the JPY invoice starts without; the USD credit left is spent in USD.
    expect(plans[0]!.invoice!.creditApplied).toBe('0');
    finalizeFirst(book, plans);
    // More late January usage after both were finalized: one more USD adjustment invoice, only for the new hour.
    const next = plan(jpy, book, [...later, g1('2025-01-17T00:00:00Z')]);
    expect(next.map((p) => [p.month, p.kind, p.currency, p.invoice?.total])).toEqual([
      ['2025-03', 'adjustment', 'USD', '1.25'],
    ]);
    finalizeFirst(book, next);
    expect(billedHours(book)).toBe(1 + 2 + 1 + 1);
  });

  it('prices late usage with the entry a finalized month was billed with, not one republished under its key', () => {
    const a = account({ timeZone: 'UTC' });
    const book = emptyBook();
    const january = [g1('2025-01-05T00:00:00Z')];
    finalizeFirst(book, plan(a, book, january));
    const republished = PriceBook.from([entry('compute.g1.large', 'USD', '2025-01-01T00:00:00Z', perUnit('2.00'))]);
    // No late usage: the republished price changes nothing in January.
    expect(plan(a, book, [...january, g1('2025-02-05T00:00:00Z')], republished)[0]!.invoice!.lines).toHaveLength(1);
    const plans = plan(a, book, [...january, g1('2025-01-06T00:00:00Z'), g1('2025-02-05T00:00:00Z')], republished);
    expect(plans[0]!.invoice!.lines.map((l) => [l.kind, l.adjustsMonth, l.amount])).toEqual([
      ['usage', null, '2'],
      ['adjustment', '2025-01', '1.25'],
    ]);
    expect(plans[0]!.kind === 'regular' && plans[0]!.invoice !== undefined && plans[0]!.entries.get('2025-01')).toEqual(
      new Map([
        ['compute.g1.large|USD|2025-01-01T00:00:00.000Z', book2.byKey('compute.g1.large|USD|2025-01-01T00:00:00.000Z')],
      ]),
    );
  });

  it('compares late usage with the amounts the finalized invoice stored', () => {
    const a = account({ timeZone: 'UTC' });
    const book = emptyBook();
    finalizeFirst(book, plan(a, book, [g1('2025-01-05T00:00:00Z')]));
    // As if January had been billed 1.10 for its hour (an older rule): the adjustment completes to today's 2 × 1.25.
    const stored = { ...book.regular[0]!, lines: book.regular[0]!.lines.map((l) => ({ ...l, amount: '1.1' })) };
    const plans = plan(a, { ...book, regular: [stored] }, [g1('2025-01-05T00:00:00Z'), g1('2025-01-06T00:00:00Z')]);
    expect(plans[0]!.invoice!.lines.map((l) => [l.kind, l.quantity, l.amount])).toEqual([['adjustment', '1', '1.4']]);
  });
});
