import decimalJs from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PricingModel, UsageHourly } from '@tally/records';
import { buildInvoice } from './build-invoice.ts';
import { mul, priceOf, q, qOf, roundTo, sub, type Q } from './invoice-oracle.ts';
import { PriceBook } from './price-book.ts';
import { account, at, entry, usage } from './test-fixtures.ts';

// Every line amount against exact arithmetic done here with BigInt fractions (the oracle's, not @tally/money's and
// not decimal.js): currencies with 0, 2 and 3 decimals × prices × running times × pricing models.

const DIGITS = { JPY: 0, USD: 2, KWD: 3, TND: 3 } as const;
type Currency = keyof typeof DIGITS;
const CURRENCIES = Object.keys(DIGITS) as Currency[];
const PRICES = ['0.03', '0.0015', '0.003375', '1.5', '0.0104', '0.0416', '0.09', '0.125', '2.5', '0.00075', '7'];

const models: Record<string, (price: string) => PricingModel> = {
  per_unit: (price) => ({ kind: 'per_unit', unitPrice: price }),
  graduated: (price) => ({
    kind: 'graduated',
    tiers: [
      { upTo: '0.5', unitPrice: price, flatFee: '0' },
      { upTo: null, unitPrice: '0.0045', flatFee: '0.0005' },
    ],
  }),
  volume: (price) => ({
    kind: 'volume',
    tiers: [
      { upTo: '0.75', unitPrice: '0.0015', flatFee: '0' },
      { upTo: null, unitPrice: price, flatFee: '0.0005' },
    ],
  }),
  package: (price) => ({ kind: 'package', packageSize: '0.3', packagePrice: price }),
};

/** Hourly records that add up to `seconds` of one instance type in March 2025 (UTC). */
function running(instanceType: string, seconds: number): UsageHourly[] {
  const records: UsageHourly[] = [];
  for (let h = 0, left = seconds; left > 0; h += 1, left -= 3600) {
    records.push(
      usage({
        instanceId: `i-${instanceType}`,
        instanceType,
        hourStart: at('2025-03-02T00:00:00Z') + h * 3_600_000,
        runningSeconds: Math.min(3600, left),
      }),
    );
  }
  return records;
}

/** The exact amount's position from its minor unit: is it exactly half a minor unit from the grid? */
const isExactHalf = (amount: Q, digits: number): boolean => {
  const scaled = mul(amount, q(10n ** BigInt(digits)));
  return scaled.d === 2n;
};

// The old computation, for contrast: seconds / 3600 cut to 40 significant digits, then × price.
const Cut = (decimalJs as unknown as typeof decimalJs.Decimal).clone({ precision: 40, rounding: 4 });

describe('line amounts are exact (sweep)', () => {
  it('match exact BigInt arithmetic for every currency, price, running time and model', () => {
    const times = [
      ...Array.from({ length: 120 }, (_, k) => (k + 1) * 30),
      4800,
      6600,
      7230,
      86_400 + 1230,
      40 * 3600 + 1200,
    ];
    let lines = 0;
    let halves = 0;
    let cutWouldMiss = 0;
    for (const currency of CURRENCIES) {
      for (const [kind, modelOf] of Object.entries(models)) {
        const book = PriceBook.from(
          PRICES.map((price, i) => entry(`compute.t${i}`, currency, '2025-01-01T00:00:00Z', modelOf(price))),
        );
        for (const seconds of times) {
          const invoice = buildInvoice({
            account: account({ currency, timeZone: 'UTC' }),
            month: '2025-03',
            prices: book,
            usage: PRICES.flatMap((_, i) => running(`t${i}`, seconds)),
            creditAvailable: '0',
          });
          expect(invoice.lines).toHaveLength(PRICES.length);
          for (const line of invoice.lines) {
            const price = PRICES[Number(line.sku!.slice('compute.t'.length))]!;
            const exact = priceOf(modelOf(price), q(BigInt(seconds), 3600n));
            const expected = roundTo(exact, DIGITS[currency]);
            if (line.roundedAmount !== expected) {
              throw new Error(
                `${currency} ${kind} ${price} × ${seconds} s: ${line.roundedAmount}, exactly ${expected}`,
              );
            }
            lines += 1;
            if (isExactHalf(exact, DIGITS[currency])) halves += 1;
            if (kind === 'per_unit') {
              const cut = new Cut(seconds).div(3600).times(price).toDecimalPlaces(DIGITS[currency], 4);
              if (!cut.eq(new Cut(expected))) cutWouldMiss += 1;
            }
          }
        }
      }
    }
    // The sweep has teeth: it holds exact halves, and the old 40-digit quotient gets some of them wrong
    // (7 per-unit lines when this was written, e.g. USD 0.03 × 6600 s, TND 0.0015 × 1200 s).
    expect(lines).toBe(CURRENCIES.length * Object.keys(models).length * times.length * PRICES.length);
    expect(halves).toBeGreaterThan(50);
    expect(cutWouldMiss).toBeGreaterThan(0);
  }, 120_000);
});

const decimalText = (maxUnits: number, scale: number) =>
  fc.integer({ min: 0, max: maxUnits * 10 ** scale }).map((n) => (n / 10 ** scale).toFixed(scale));

const model: fc.Arbitrary<PricingModel> = fc.oneof(
  decimalText(3, 6).map((unitPrice) => ({ kind: 'per_unit' as const, unitPrice })),
  fc
    .tuple(fc.integer({ min: 1, max: 40 }), decimalText(2, 5), decimalText(2, 5), decimalText(1, 4))
    .chain(([bound, p1, p2, fee]) =>
      fc.constantFrom('graduated' as const, 'volume' as const).map((kind) => ({
        kind,
        tiers: [
          { upTo: (bound / 4).toString(), unitPrice: p1, flatFee: '0' },
          { upTo: null, unitPrice: p2, flatFee: fee },
        ],
      })),
    ),
  fc
    .tuple(fc.integer({ min: 1, max: 40 }), decimalText(5, 3))
    .map(([size, packagePrice]) => ({ kind: 'package' as const, packageSize: (size / 8).toString(), packagePrice })),
);

describe('line amounts are exact (property)', () => {
  it('usage and adjustment lines equal the exact price, rounded once', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CURRENCIES),
        model,
        fc.array(
          fc.oneof(
            fc.integer({ min: 0, max: 3600 }),
            fc.integer({ min: 0, max: 120 }).map((k) => k * 30),
          ),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        fc.array(fc.integer({ min: 0, max: 3600 }), { maxLength: 30 }),
        (currency, priceModel, february, corrected) => {
          const acct = account({ currency, timeZone: 'UTC' });
          const book = PriceBook.from([entry('compute.s1.small', currency, '2025-01-01T00:00:00Z', priceModel)]);
          const feb = (seconds: number[], version: number) =>
            seconds.map((runningSeconds, h) =>
              usage({ hourStart: at('2025-02-03T00:00:00Z') + h * 3_600_000, runningSeconds, version }),
            );
          const february1 = buildInvoice({
            account: acct,
            month: '2025-02',
            prices: book,
            usage: feb(february, 1),
            creditAvailable: '0',
          });
          // Late data rewrites February's hours (version 2); March carries the adjustment.
          const lateUsage = feb(corrected, 2);
          const billedSeconds = february.reduce((a, b) => a + b, 0);
          const hoursNow = Math.max(february.length, corrected.length);
          const nowSeconds = Array.from({ length: hoursNow }, (_, h) => corrected[h] ?? february[h]!).reduce(
            (a, b) => a + b,
            0,
          );
          const march = buildInvoice({
            account: acct,
            month: '2025-03',
            prices: book,
            usage: [],
            creditAvailable: '0',
            finalizedMonths: [
              {
                month: '2025-02',
                billed: february1.lines.map((l) => ({
                  sku: l.sku!,
                  priceEntryKey: l.priceEntryKey!,
                  quantity: l.quantity!,
                })),
                usage: [...feb(february, 1), ...lateUsage],
              },
            ],
          });
          const digits = DIGITS[currency];
          const was = q(BigInt(billedSeconds), 3600n);
          const now = q(BigInt(nowSeconds), 3600n);
          expect(february1.lines.map((l) => l.roundedAmount)).toEqual(
            billedSeconds === 0 ? [] : [roundTo(priceOf(priceModel, was), digits)],
          );
          const adjustment = sub(priceOf(priceModel, now), priceOf(priceModel, was));
          expect(march.lines.filter((l) => l.kind === 'adjustment').map((l) => l.roundedAmount)).toEqual(
            nowSeconds === billedSeconds ? [] : [roundTo(adjustment, digits)],
          );
          // The total is never negative; what is below zero is carried as credit.
          expect(qOf(march.total).n >= 0n).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000);
});
