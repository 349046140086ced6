import { describe, expect, it } from 'vitest';
import type { PricingModel } from '@tally/records';
import { billedQuantities } from './billed-quantities.ts';
import { BillingMonthError } from './billing-month.ts';
import { buildInvoice, type InvoiceInput } from './build-invoice.ts';
import { invoiceHash, serializeInvoice } from './invoice-hash.ts';
import { MissingPriceError } from './missing-price-error.ts';
import { PriceBook } from './price-book.ts';
import { account, at, entry, perUnit, usage } from './test-fixtures.ts';

const egressTiers: PricingModel = {
  kind: 'graduated',
  tiers: [
    { upTo: '100', unitPrice: '0', flatFee: '0' },
    { upTo: '10000', unitPrice: '0.09', flatFee: '0' },
    { upTo: null, unitPrice: '0.05', flatFee: '0' },
  ],
};

// The worked example of README.md ("An invoice, by hand").
const book = PriceBook.from([
  entry('compute.s1.small', 'USD', '2025-01-01T00:00:00Z', perUnit('0.0104')),
  entry('compute.g1.large', 'USD', '2025-01-01T00:00:00Z', perUnit('1.25')),
  entry('compute.g1.large', 'USD', '2025-03-15T00:00:00Z', perUnit('0.99')),
  entry('egress.gb', 'USD', '2025-01-01T00:00:00Z', egressTiers),
]);
const marchUsage = [
  usage({ hourStart: at('2025-03-02T08:00:00Z'), runningSeconds: 3600, txBytes: 80e9 }),
  usage({ hourStart: at('2025-03-02T09:00:00Z'), runningSeconds: 3600, txBytes: 40e9 }),
  usage({ hourStart: at('2025-03-02T10:00:00Z'), runningSeconds: 1800 }),
  usage({ instanceId: 'i-2', instanceType: 'g1.large', hourStart: at('2025-03-14T10:00:00Z') }),
  usage({ instanceId: 'i-2', instanceType: 'g1.large', hourStart: at('2025-03-20T10:00:00Z') }),
  usage({ instanceId: 'i-2', instanceType: 'g1.large', hourStart: at('2025-03-20T11:00:00Z'), runningSeconds: 1800 }),
];
const march = (overrides: Partial<InvoiceInput> = {}) =>
  buildInvoice({
    account: account(),
    month: '2025-03',
    prices: book,
    usage: marchUsage,
    creditAvailable: '0',
    ...overrides,
  });

describe('buildInvoice', () => {
  it('prices each (sku, price entry) group and rounds each line once', () => {
    const invoice = march();
    expect(invoice.lines.map((l) => [l.sku, l.quantity, l.amount, l.roundedAmount])).toEqual([
      ['compute.g1.large', '1', '1.25', '1.25'], // before the price change on the 15th
      ['compute.g1.large', '1.5', '1.485', '1.49'], // after it; 1.485 rounds half away from zero
      ['compute.s1.small', '2.5', '0.026', '0.03'],
      ['egress.gb', '120', '1.8', '1.80'], // 100 GB free, 20 GB × 0.09
    ]);
    expect(invoice.lines[1]!.priceEntryKey).toBe('compute.g1.large|USD|2025-03-15T00:00:00.000Z');
    expect([invoice.subtotal, invoice.creditApplied, invoice.total, invoice.creditRemaining]).toEqual([
      '4.57',
      '0.00',
      '4.57',
      '0',
    ]);
    expect(invoice.periodStart).toBe(at('2025-02-28T23:00:00Z'));
    expect(invoice.periodEnd).toBe(at('2025-03-31T22:00:00Z'));
  });

  it('gives each price entry of a month its own tier count (README: mid-month change of a tiered price)', () => {
    const tiered = (price: string): PricingModel => ({
      kind: 'graduated',
      tiers: [
        { upTo: '100', unitPrice: '0', flatFee: '0' },
        { upTo: null, unitPrice: price, flatFee: '0' },
      ],
    });
    const prices = PriceBook.from([
      entry('egress.gb', 'USD', '2025-01-01T00:00:00Z', tiered('0.09')),
      entry('egress.gb', 'USD', '2025-03-15T00:00:00Z', tiered('0.07')),
    ]);
    const records = [
      usage({ hourStart: at('2025-03-10T08:00:00Z'), runningSeconds: 0, txBytes: 80e9 }),
      usage({ hourStart: at('2025-03-20T08:00:00Z'), runningSeconds: 0, txBytes: 60e9 }),
    ];
    const invoice = march({ prices, usage: records });
    expect(invoice.lines.map((l) => [l.priceEntryKey, l.quantity, l.roundedAmount])).toEqual([
      ['egress.gb|USD|2025-01-01T00:00:00.000Z', '80', '0.00'],
      ['egress.gb|USD|2025-03-15T00:00:00.000Z', '60', '0.00'],
    ]);
  });

  it('sums rounded lines, not the unrounded amounts', () => {
    const prices = PriceBook.from([
      entry('compute.s1.small', 'USD', '2025-01-01T00:00:00Z', perUnit('0.005')),
      entry('compute.s1.medium', 'USD', '2025-01-01T00:00:00Z', perUnit('0.005')),
    ]);
    const invoice = buildInvoice({
      account: account(),
      month: '2025-03',
      prices,
      usage: [
        usage({ hourStart: at('2025-03-01T00:00:00Z') }),
        usage({ instanceId: 'i-2', instanceType: 's1.medium', hourStart: at('2025-03-01T00:00:00Z') }),
      ],
      creditAvailable: '0',
    });
    // 0.005 + 0.005 = 0.01 unrounded, but each line rounds to 0.01 and the total is their sum.
    expect(invoice.lines.map((l) => l.roundedAmount)).toEqual(['0.01', '0.01']);
    expect(invoice.total).toBe('0.02');
  });

  it('fails with MissingPriceError when a used SKU has no price', () => {
    const used = [...marchUsage, usage({ instanceType: 'x9.huge', hourStart: at('2025-03-05T00:00:00Z') })];
    expect(() => march({ usage: used })).toThrowError(MissingPriceError);
  });

  it('bills ingress only where it is priced', () => {
    const withIngress = [usage({ hourStart: at('2025-03-02T08:00:00Z'), runningSeconds: 0, rxBytes: 5e12 })];
    expect(march({ usage: withIngress }).lines).toEqual([]);
    const priced = PriceBook.from([
      ...book.entries(),
      entry('ingress.gb', 'USD', '2025-01-01T00:00:00Z', { kind: 'package', packageSize: '1000', packagePrice: '1' }),
    ]);
    expect(
      march({ usage: withIngress, prices: priced }).lines.map((l) => [l.sku, l.quantity, l.roundedAmount]),
    ).toEqual([['ingress.gb', '5000', '5.00']]);
  });

  it('applies credit larger than the invoice, capped at the subtotal, and carries the rest', () => {
    const invoice = march({ creditAvailable: '10' });
    expect(invoice.lines.at(-1)).toEqual({
      kind: 'credit',
      sku: null,
      priceEntryKey: null,
      unit: null,
      adjustsMonth: null,
      quantity: null,
      amount: '-4.57',
      roundedAmount: '-4.57',
    });
    expect([invoice.subtotal, invoice.creditApplied, invoice.total, invoice.creditRemaining]).toEqual([
      '4.57',
      '4.57',
      '0.00',
      '5.43',
    ]);
  });

  it('spends only whole minor units of credit and carries the fraction', () => {
    const invoice = march({ creditAvailable: '1.239' });
    expect([invoice.creditApplied, invoice.total, invoice.creditRemaining]).toEqual(['1.23', '3.34', '0.009']);
  });

  it('applies no credit to an empty invoice', () => {
    const invoice = march({ usage: [], creditAvailable: '10' });
    expect(invoice.lines).toEqual([]);
    expect([invoice.total, invoice.creditApplied, invoice.creditRemaining]).toEqual(['0.00', '0.00', '10']);
  });

  it('rounds to 0 minor digits for JPY and 3 for KWD', () => {
    const twoAndAHalfHours = [
      usage({ hourStart: at('2025-03-02T08:00:00Z') }),
      usage({ hourStart: at('2025-03-02T09:00:00Z') }),
      usage({ hourStart: at('2025-03-02T10:00:00Z'), runningSeconds: 1800 }),
    ];
    const jpy = buildInvoice({
      account: account({ currency: 'JPY' }),
      month: '2025-03',
      prices: PriceBook.from([entry('compute.s1.small', 'JPY', '2025-01-01T00:00:00Z', perUnit('15.5'))]),
      usage: twoAndAHalfHours,
      creditAvailable: '10.9',
    });
    expect(jpy.lines.map((l) => [l.amount, l.roundedAmount])).toEqual([
      ['38.75', '39'],
      ['-10', '-10'],
    ]);
    expect([jpy.total, jpy.creditRemaining]).toEqual(['29', '0.9']);
    const kwd = buildInvoice({
      account: account({ currency: 'KWD' }),
      month: '2025-03',
      prices: PriceBook.from([entry('compute.s1.small', 'KWD', '2025-01-01T00:00:00Z', perUnit('0.0035'))]),
      usage: twoAndAHalfHours,
      creditAvailable: '0',
    });
    expect(kwd.lines.map((l) => [l.amount, l.roundedAmount])).toEqual([['0.00875', '0.009']]);
    expect(kwd.total).toBe('0.009');
  });

  it('assigns hours to months in the account time zone', () => {
    const edges = [
      usage({ hourStart: at('2025-02-28T22:00:00Z'), runningSeconds: 3600 }), // 23:00 on 28 Feb in Zurich: February
      usage({ hourStart: at('2025-02-28T23:00:00Z'), runningSeconds: 1800 }), // 00:00 on 1 March: March
      usage({ hourStart: at('2025-03-31T21:00:00Z'), runningSeconds: 900 }), // 23:00 on 31 March (summer time): March
      usage({ hourStart: at('2025-03-31T22:00:00Z'), runningSeconds: 450 }), // 00:00 on 1 April: April
    ];
    expect(march({ usage: edges }).lines.map((l) => l.quantity)).toEqual(['0.75']);
    const utc = march({ usage: edges, account: account({ timeZone: 'UTC' }) });
    expect(utc.lines.map((l) => l.quantity)).toEqual(['0.375']);
  });

  it('counts the latest version of each instance-hour once, whatever the order, and only the account', () => {
    const hour = at('2025-03-02T08:00:00Z');
    const records = [
      usage({ hourStart: hour, runningSeconds: 3600, version: 3 }),
      usage({ hourStart: hour, runningSeconds: 600, version: 1 }), // older, arrives later: ignored
      usage({ hourStart: hour, runningSeconds: 3600, version: 3 }), // resend: counted once
      usage({ hourStart: hour, instanceId: 'i-9', accountId: 'acct-2' }),
    ];
    expect(march({ usage: records }).lines.map((l) => l.quantity)).toEqual(['1']);
  });
});

describe('adjustments', () => {
  const marchInvoice = march();
  const lateMarch = [
    ...marchUsage.map((u) => (u.txBytes === 40e9 ? { ...u, txBytes: 70e9, version: 2 } : u)), // +30 GB arrived late
    usage({
      instanceId: 'i-2',
      instanceType: 'g1.large',
      hourStart: at('2025-03-20T11:00:00Z'),
      runningSeconds: 900,
      version: 2,
    }),
  ];

  it('sums what finalized invoices billed for a month', () => {
    expect(billedQuantities([marchInvoice], '2025-03')).toEqual([
      {
        sku: 'compute.g1.large',
        priceEntryKey: 'compute.g1.large|USD|2025-01-01T00:00:00.000Z',
        quantity: '1',
        amount: '1.25',
      },
      {
        sku: 'compute.g1.large',
        priceEntryKey: 'compute.g1.large|USD|2025-03-15T00:00:00.000Z',
        quantity: '1.5',
        amount: '1.485',
      },
      {
        sku: 'compute.s1.small',
        priceEntryKey: 'compute.s1.small|USD|2025-01-01T00:00:00.000Z',
        quantity: '2.5',
        amount: '0.026',
      },
      { sku: 'egress.gb', priceEntryKey: 'egress.gb|USD|2025-01-01T00:00:00.000Z', quantity: '120', amount: '1.8' },
    ]);
  });

  it('bills late usage of a finalized month as priced differences on the next invoice', () => {
    const april = buildInvoice({
      account: account(),
      month: '2025-04',
      prices: book,
      usage: [],
      creditAvailable: '0',
      finalizedMonths: [{ month: '2025-03', billed: billedQuantities([marchInvoice], '2025-03'), usage: lateMarch }],
    });
    expect(april.lines.map((l) => [l.kind, l.adjustsMonth, l.sku, l.quantity, l.amount, l.roundedAmount])).toEqual([
      // 1.5 h → 1.25 h after a corrected record: −0.25 h × 0.99
      ['adjustment', '2025-03', 'compute.g1.large', '-0.25', '-0.2475', '-0.25'],
      // 120 GB → 150 GB: tiers apply to the month, so price(150) − price(120) = 4.5 − 1.8
      ['adjustment', '2025-03', 'egress.gb', '30', '2.7', '2.70'],
    ]);
    expect(april.total).toBe('2.45');

    // Once April carried them, a May re-check finds nothing more to adjust.
    const may = buildInvoice({
      account: account(),
      month: '2025-05',
      prices: book,
      usage: [],
      creditAvailable: '0',
      finalizedMonths: [
        { month: '2025-03', billed: billedQuantities([marchInvoice, april], '2025-03'), usage: lateMarch },
      ],
    });
    expect(may.lines).toEqual([]);
  });

  it('only adjusts earlier months, each once', () => {
    const input = { account: account(), prices: book, usage: [], creditAvailable: '0' };
    expect(() =>
      buildInvoice({ ...input, month: '2025-03', finalizedMonths: [{ month: '2025-03', billed: [], usage: [] }] }),
    ).toThrowError(BillingMonthError);
    expect(() =>
      buildInvoice({
        ...input,
        month: '2025-04',
        finalizedMonths: [
          { month: '2025-03', billed: [], usage: [] },
          { month: '2025-03', billed: [], usage: [] },
        ],
      }),
    ).toThrowError(/given twice/);
  });
});

describe('invoice serialization', () => {
  it('is canonical and hashes equal invoices equally', () => {
    const a = march({ creditAvailable: '1' });
    const b = march({ creditAvailable: '1', usage: [...marchUsage].reverse() });
    expect(serializeInvoice(a)).toBe(serializeInvoice(b));
    expect(invoiceHash(a)).toBe(invoiceHash(b));
    expect(invoiceHash(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(invoiceHash(a)).not.toBe(invoiceHash(march({ creditAvailable: '2' })));
    expect(
      serializeInvoice(a).startsWith(
        '{"accountId":"acct-1","creditApplied":"1.00","creditRemaining":"0","currency":"USD"',
      ),
    ).toBe(true);
  });
});
