import { describe, expect, it } from 'vitest';
import { Dec } from '@tally/money';
import type { BillingHourly, PricingModel, UsageHourly } from '@tally/records';
import { accountHour } from './account-hour.ts';
import { buildInvoice } from './build-invoice.ts';
import { PriceBook } from './price-book.ts';
import { account, at, entry, perUnit, usage } from './test-fixtures.ts';

const egressTiers: PricingModel = {
  kind: 'graduated',
  tiers: [
    { upTo: '100', unitPrice: '0', flatFee: '0' },
    { upTo: '200', unitPrice: '0.09', flatFee: '0.5' },
    { upTo: null, unitPrice: '0.05', flatFee: '0' },
  ],
};
const book = PriceBook.from([
  entry('compute.s1.small', 'USD', '2025-01-01T00:00:00Z', perUnit('0.0104')),
  entry('egress.gb', 'USD', '2025-01-01T00:00:00Z', egressTiers),
]);
const acct = account();
const hour = at('2025-03-02T08:00:00Z');

function previous(
  hourStart: number,
  lines: BillingHourly['lines'],
  hourTotal: string,
  overrides: Partial<BillingHourly> = {},
): BillingHourly {
  return {
    accountId: 'acct-1',
    hourStart,
    currency: 'USD',
    lines,
    hourTotal,
    monthToDate: '0',
    version: 1,
    ...overrides,
  };
}

describe('accountHour', () => {
  it('sums the account instances of the hour and continues the month', () => {
    const value = accountHour({
      account: acct,
      hourStart: hour,
      usage: [
        usage({ hourStart: hour, runningSeconds: 3600, txBytes: 15e9 }),
        usage({ instanceId: 'i-2', hourStart: hour, runningSeconds: 1800, txBytes: 5e9 }),
        usage({ instanceId: 'i-3', hourStart: hour - 3_600_000 }), // another hour
        usage({ instanceId: 'i-4', accountId: 'acct-2', hourStart: hour }), // another account
      ],
      previousHours: [
        previous(
          at('2025-03-01T10:00:00Z'),
          [
            { sku: 'egress.gb', quantity: '90', amount: '0' },
            { sku: 'compute.s1.small', quantity: '1', amount: '0.0104' },
          ],
          '0.0104',
        ),
        previous(at('2025-02-28T22:00:00Z'), [{ sku: 'egress.gb', quantity: '500', amount: '0' }], '99'), // February in Zurich
        previous(at('2025-03-02T09:00:00Z'), [], '99'), // later
        previous(at('2025-03-01T11:00:00Z'), [], '99', { accountId: 'acct-2' }),
      ],
      prices: book,
      version: 7,
    });
    expect(value).toEqual({
      accountId: 'acct-1',
      hourStart: hour,
      currency: 'USD',
      lines: [
        { sku: 'compute.s1.small', quantity: '1.5', amount: '0.0156' },
        // 90 GB used before: 10 more free, then 10 GB at 0.09 plus the tier's 0.50 flat fee
        { sku: 'egress.gb', quantity: '20', amount: '1.4' },
      ],
      hourTotal: '1.4156',
      monthToDate: '1.426',
      version: 7,
    });
  });

  it('rejects hours not on the hour', () => {
    expect(() =>
      accountHour({ account: acct, hourStart: hour + 1, usage: [], previousHours: [], prices: book, version: 1 }),
    ).toThrowError(RangeError);
  });

  it('telescopes: the previews of a month add up to the invoice amounts', () => {
    const hours = [0, 1, 2, 3, 4, 5].map((i) => hour + i * 3_600_000);
    const gb = [40, 50, 30, 70, 0, 25];
    const records: UsageHourly[] = hours.map((h, i) =>
      usage({ hourStart: h, runningSeconds: 1200, txBytes: gb[i]! * 1e9 }),
    );
    const published: BillingHourly[] = [];
    for (const h of hours) {
      published.push(
        accountHour({
          account: acct,
          hourStart: h,
          usage: records,
          previousHours: published,
          prices: book,
          version: 1,
        }),
      );
    }
    const invoice = buildInvoice({
      account: acct,
      month: '2025-03',
      prices: book,
      usage: records,
      creditAvailable: '0',
    });
    const invoiceAmount = invoice.lines.reduce((sum, l) => sum.plus(l.amount), new Dec(0));
    // Equal up to the 40-digit rounding of a third of an hour.
    expect(new Dec(published.at(-1)!.monthToDate).minus(invoiceAmount).abs().lt('1e-30')).toBe(true);
    expect(invoice.lines.find((l) => l.sku === 'egress.gb')?.amount).toBe('10.25'); // 215 GB: 0 + (100 × 0.09 + 0.5) + 15 × 0.05
  });
});

describe('accountHour exactness', () => {
  it('reads earlier hours back as whole seconds, so thirds of an hour reach a tier edge exactly', () => {
    // Volume: up to 1 h at 0.03, above at 0.01. Three earlier hours of 1200 s (shown 0.333…3 h each) are exactly 1 h:
    // one more 1200 s puts the month at 4/3 h, the first hour above the edge; summed as shown digits it would be
    // 0.999…9 + 1/3 and cross one hour early or late.
    const volume: PricingModel = {
      kind: 'volume',
      tiers: [
        { upTo: '1', unitPrice: '0.03', flatFee: '0' },
        { upTo: null, unitPrice: '0.01', flatFee: '0' },
      ],
    };
    const prices = PriceBook.from([entry('compute.s1.small', 'USD', '2025-01-01T00:00:00Z', volume)]);
    const third = '0.' + '3'.repeat(40);
    const earlier = [1, 2, 3].map((h) =>
      previous(hour - h * 3_600_000, [{ sku: 'compute.s1.small', quantity: third, amount: '0.01' }], '0.01'),
    );
    const atEdge = accountHour({
      account: acct,
      hourStart: hour,
      usage: [usage({ hourStart: hour, runningSeconds: 1200 })],
      previousHours: earlier.slice(1),
      prices,
      version: 1,
    });
    // Two earlier thirds + this third = exactly 1 h: still the first tier, 1/3 h × 0.03 = 0.01 exactly.
    expect(atEdge.lines).toEqual([{ sku: 'compute.s1.small', quantity: third, amount: '0.01' }]);
    const above = accountHour({
      account: acct,
      hourStart: hour,
      usage: [usage({ hourStart: hour, runningSeconds: 1200 })],
      previousHours: earlier,
      prices,
      version: 1,
    });
    // 4/3 h × 0.01 − 1 h × 0.03 = −0.0166…: the whole month drops to the cheaper tier in this hour.
    expect(above.lines[0]!.amount).toBe('-0.01666666666666666666666666666666666666667');
  });

  it('prices an hour exactly: 1200 s at 0.0015 is 0.0005, not 0.000499…9', () => {
    const prices = PriceBook.from([entry('compute.s1.small', 'USD', '2025-01-01T00:00:00Z', perUnit('0.0015'))]);
    const value = accountHour({
      account: acct,
      hourStart: hour,
      usage: [usage({ hourStart: hour, runningSeconds: 1200 })],
      previousHours: [],
      prices,
      version: 1,
    });
    expect([value.lines[0]!.amount, value.hourTotal, value.monthToDate]).toEqual(['0.0005', '0.0005', '0.0005']);
  });
});
