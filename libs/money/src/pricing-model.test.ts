import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertValidPricingModel,
  marginalAmount,
  priceQuantity,
  PricingModelError,
  pricingModelProblems,
  type PricingModel,
  type PriceTier,
} from './pricing-model.ts';
import { Rational } from './rational.ts';

// First 100 free, then 0.09 up to 1000 (with a 1.00 flat fee for entering the tier), then 0.05.
const tiers: PriceTier[] = [
  { upTo: '100', unitPrice: '0' },
  { upTo: '1000', unitPrice: '0.09', flatFee: '1' },
  { upTo: null, unitPrice: '0.05' },
];
const graduated: PricingModel = { kind: 'graduated', tiers };
const volume: PricingModel = { kind: 'volume', tiers };
const price = (model: PricingModel, q: string) => priceQuantity(model, q).toString();

describe('per_unit', () => {
  const model: PricingModel = { kind: 'per_unit', unitPrice: '0.0416' };
  it('multiplies, at full precision', () => {
    expect(price(model, '0')).toBe('0');
    expect(price(model, '720')).toBe('29.952');
    expect(price(model, '0.5')).toBe('0.0208');
    expect(price({ kind: 'per_unit', unitPrice: '0.000001' }, '123456789.123456789')).toBe('123.456789123456789');
  });
});

describe('graduated', () => {
  it.each([
    ['0', '0'], // zero usage: no tier touched, no flat fee
    ['50', '0'],
    ['100', '0'], // exactly at upTo: still the free tier
    ['100.5', '1.045'], // 0.5 × 0.09 + 1 flat fee
    ['1000', '82'], // 900 × 0.09 + 1
    ['1001', '82.05'], // 82 + 1 × 0.05
    ['1000000000', '50000032'], // 82 + 999999000 × 0.05
  ])('q = %s costs %s', (q, amount) => {
    expect(price(graduated, q)).toBe(amount);
  });

  it('charges a first tier flat fee only when something is used', () => {
    const model: PricingModel = {
      kind: 'graduated',
      tiers: [
        { upTo: '10', unitPrice: '1', flatFee: '5' },
        { upTo: null, unitPrice: '0.5' },
      ],
    };
    expect(price(model, '0')).toBe('0');
    expect(price(model, '0.001')).toBe('5.001');
    expect(price(model, '12')).toBe('16'); // 10 × 1 + 5 + 2 × 0.5
  });
});

describe('volume', () => {
  it.each([
    ['0', '0'],
    ['100', '0'], // exactly at upTo: the whole quantity at the first tier
    ['100.5', '10.045'], // 100.5 × 0.09 + 1
    ['1000', '91'], // 1000 × 0.09 + 1
    ['1001', '50.05'], // 1001 × 0.05: volume pricing can fall as quantity rises
    ['1000000000', '50000000'],
  ])('q = %s costs %s', (q, amount) => {
    expect(price(volume, q)).toBe(amount);
  });
});

describe('package', () => {
  const model: PricingModel = { kind: 'package', packageSize: '10', packagePrice: '2.5' };
  it.each([
    ['0', '0'],
    ['1', '2.5'],
    ['10', '2.5'],
    ['10.0001', '5'],
    ['25', '7.5'],
  ])('q = %s costs %s', (q, amount) => {
    expect(price(model, q)).toBe(amount);
  });

  it('does not lose a partial package to division rounding', () => {
    const q = '3.' + '0'.repeat(45) + '1';
    expect(price({ kind: 'package', packageSize: '1', packagePrice: '1' }, q)).toBe('4');
  });
});

describe('validation', () => {
  it('names each bad tier', () => {
    const problems = pricingModelProblems({
      kind: 'graduated',
      tiers: [
        { upTo: '100', unitPrice: '1' },
        { upTo: null, unitPrice: '1' },
        { upTo: '50', unitPrice: 'x' },
      ],
    });
    expect(problems).toEqual([
      { path: ['tiers', 1, 'upTo'], message: 'only the last tier may be open-ended (null)' },
      { path: ['tiers', 2, 'unitPrice'], message: 'not a decimal string: "x"' },
      { path: ['tiers', 2, 'upTo'], message: 'the last tier must be open-ended (upTo: null)' },
      { path: ['tiers', 2, 'upTo'], message: 'tiers must ascend: 50 is not above 100' },
    ]);
  });

  it('rejects descending tiers, a closed last tier and empty packages', () => {
    expect(() =>
      assertValidPricingModel({
        kind: 'volume',
        tiers: [
          { upTo: '10', unitPrice: '1' },
          { upTo: '10', unitPrice: '1' },
          { upTo: null, unitPrice: '1' },
        ],
      }),
    ).toThrowError(/tiers\.1\.upTo: tiers must ascend/);
    expect(() => priceQuantity({ kind: 'volume', tiers: [{ upTo: '10', unitPrice: '1' }] }, '1')).toThrowError(
      PricingModelError,
    );
    expect(() => priceQuantity({ kind: 'package', packageSize: '0', packagePrice: '1' }, '1')).toThrowError(
      /packageSize: must be greater than 0/,
    );
  });

  it('rejects negative quantities and quantities from 10^16 on', () => {
    expect(() => priceQuantity(graduated, '-1')).toThrowError(RangeError);
    expect(() => priceQuantity(graduated, '1' + '0'.repeat(16))).toThrowError(/not below the limit/);
    const largest = { kind: 'per_unit', unitPrice: '999999999999.999999999999' } as const;
    // The largest price times the largest quantity: exact, and within 30 integer digits.
    expect(priceQuantity(largest, '9999999999999999.999999999').toString()).toBe(
      '9999999999999999999999989000.000000000000000000001',
    );
  });

  it('rejects prices from 10^12 on and prices with more than 12 decimals', () => {
    expect(pricingModelProblems({ kind: 'per_unit', unitPrice: '1' + '0'.repeat(12) })).toEqual([
      { path: ['unitPrice'], message: 'must be below 1000000000000' },
    ]);
    expect(pricingModelProblems({ kind: 'per_unit', unitPrice: '0.0000000000001' })).toEqual([
      { path: ['unitPrice'], message: 'at most 12 decimals' },
    ]);
    expect(pricingModelProblems({ kind: 'per_unit', unitPrice: '999999999999.999999999999' })).toEqual([]);
    expect(
      pricingModelProblems({
        kind: 'graduated',
        tiers: [
          { upTo: '1' + '0'.repeat(12), unitPrice: '1' },
          { upTo: null, unitPrice: '1', flatFee: '0.1234567890123' },
        ],
      }).map((p) => p.path.join('.')),
    ).toEqual(['tiers.0.upTo', 'tiers.1.flatFee']);
  });
});

describe('exact amounts', () => {
  it('multiplies before dividing: 6600 s at 0.03 per hour is exactly 0.055', () => {
    const hours = Rational.fraction(6600n, 3600n);
    expect(priceQuantity({ kind: 'per_unit', unitPrice: '0.03' }, hours).toString()).toBe('0.055');
  });

  it('keeps thirds exact through every model', () => {
    const third = Rational.fraction(1n, 3n);
    const tiered = [
      { upTo: '0.25', unitPrice: '3' },
      { upTo: null, unitPrice: '0.3', flatFee: '0.01' },
    ];
    expect(priceQuantity({ kind: 'graduated', tiers: tiered }, third).toString()).toBe('0.785'); // 0.75 + 1/12·0.3 + 0.01
    expect(priceQuantity({ kind: 'volume', tiers: tiered }, third).toString()).toBe('0.11'); // 1/3 · 0.3 + 0.01
    expect(priceQuantity({ kind: 'package', packageSize: '0.25', packagePrice: '1.5' }, third).toString()).toBe('3');
    expect(priceQuantity({ kind: 'per_unit', unitPrice: '0.01' }, third).toString()).toBe('1/300');
  });
});

describe('marginalAmount', () => {
  it('prices an increment on top of what the period already used', () => {
    expect(marginalAmount(graduated, '90', '20').toString()).toBe('1.9'); // 10 free, 10 × 0.09, 1 flat fee
    expect(marginalAmount(graduated, '0', '0').toString()).toBe('0');
  });

  it('telescopes to the price of the total', () => {
    const steps = ['30', '70', '0.5', '899.5', '1', '1000'];
    let before = '0';
    let sum = priceQuantity(graduated, '0');
    for (const step of steps) {
      sum = sum.plus(marginalAmount(graduated, before, step));
      before = priceQuantity({ kind: 'per_unit', unitPrice: '1' }, before).plus(step).toString();
    }
    expect(sum.toString()).toBe(price(graduated, '2001'));
  });

  it('is price(before + added) − price(before) for per-unit prices too, limits included (property)', () => {
    const rational = fc
      .tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.bigInt({ min: 1n, max: 10n ** 12n }))
      .map(([n, d]) => Rational.fraction(n, d));
    fc.assert(
      fc.property(
        rational,
        rational,
        fc.constantFrom('0', '0.0104', '1.25', '0.000000000123', '999999999999.999999999999'),
        (before, added, unitPrice) => {
          const model: PricingModel = { kind: 'per_unit', unitPrice };
          const outcome = (f: () => Rational) => {
            try {
              return f().toString();
            } catch (error) {
              return String(error);
            }
          };
          expect(outcome(() => marginalAmount(model, before, added))).toBe(
            outcome(() => priceQuantity(model, before.plus(added)).minus(priceQuantity(model, before))),
          );
        },
      ),
    );
  });
});
