import { describe, expect, it } from 'vitest';
import type { PricingModel } from '@tally/records';
import { hourlyCharges } from './hourly-charges.ts';
import { MissingPriceError } from './missing-price-error.ts';
import { PriceBook } from './price-book.ts';
import { at, entry, perUnit, usage } from './test-fixtures.ts';

const egressTiers: PricingModel = {
  kind: 'graduated',
  tiers: [
    { upTo: '100', unitPrice: '0', flatFee: '0' },
    { upTo: null, unitPrice: '0.09', flatFee: '0' },
  ],
};
const book = PriceBook.from([
  entry('compute.s1.small', 'USD', '2025-01-01T00:00:00Z', perUnit('0.0104')),
  entry('egress.gb', 'USD', '2025-01-01T00:00:00Z', egressTiers),
]);
const hour = at('2025-03-02T08:00:00Z');
const egressKey = 'egress.gb|USD|2025-01-01T00:00:00.000Z';

describe('hourlyCharges', () => {
  it('turns seconds into hours and bytes into GB', () => {
    expect(hourlyCharges(usage({ hourStart: hour, runningSeconds: 1800, txBytes: 30e9 }), 'USD', book)).toEqual([
      {
        sku: 'compute.s1.small',
        quantity: '0.5',
        priceEntryKey: 'compute.s1.small|USD|2025-01-01T00:00:00.000Z',
        amount: '0.0052',
      },
      { sku: 'egress.gb', quantity: '30', priceEntryKey: egressKey, amount: '0' },
    ]);
  });

  it('keeps full precision for a third of an hour', () => {
    const [line] = hourlyCharges(usage({ hourStart: hour, runningSeconds: 1200 }), 'USD', book);
    expect(line?.quantity).toBe('0.' + '3'.repeat(40));
  });

  it('prices tiered SKUs at the margin of the month so far', () => {
    const lines = hourlyCharges(
      usage({ hourStart: hour, runningSeconds: 0, txBytes: 30e9 }),
      'USD',
      book,
      new Map([[egressKey, '90']]),
    );
    // 10 GB still free, 20 GB at 0.09
    expect(lines).toEqual([{ sku: 'egress.gb', quantity: '30', priceEntryKey: egressKey, amount: '1.8' }]);
  });

  it('multiplies before dividing: 1200 s at 0.0015 per hour is 0.0005 exactly', () => {
    const prices = PriceBook.from([entry('compute.s1.small', 'USD', '2025-01-01T00:00:00Z', perUnit('0.0015'))]);
    expect(hourlyCharges(usage({ hourStart: hour, runningSeconds: 1200 }), 'USD', prices)).toEqual([
      {
        sku: 'compute.s1.small',
        quantity: '0.' + '3'.repeat(40),
        priceEntryKey: 'compute.s1.small|USD|2025-01-01T00:00:00.000Z',
        amount: '0.0005',
      },
    ]);
  });

  it('skips unpriced ingress and fails on unpriced compute', () => {
    expect(hourlyCharges(usage({ hourStart: hour, runningSeconds: 0, rxBytes: 5e9 }), 'USD', book)).toEqual([]);
    expect(() => hourlyCharges(usage({ hourStart: hour, instanceType: 'nope' }), 'USD', book)).toThrowError(
      MissingPriceError,
    );
    expect(() => hourlyCharges(usage({ hourStart: hour }), 'EUR', book)).toThrowError(MissingPriceError);
  });
});
