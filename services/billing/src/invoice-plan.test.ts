import { describe, expect, it } from 'vitest';
import { planInvoices, monthsBefore } from './invoice-plan.ts';
import { PriceBook } from './price-book.ts';
import { account, at, entry, perUnit, usage } from './test-fixtures.ts';

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
