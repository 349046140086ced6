import { describe, expect, it } from 'vitest';
import { MissingPriceError } from './missing-price-error.ts';
import { PriceBook } from './price-book.ts';
import { priceEntryKey } from './price-entry-key.ts';
import { at, entry, perUnit } from './test-fixtures.ts';

const book = PriceBook.from([
  entry('compute.s1.small', 'USD', '2025-01-01T00:00:00Z', perUnit('0.0104')),
  entry('compute.s1.small', 'USD', '2025-03-15T00:00:00Z', perUnit('0.0099')),
  entry('compute.s1.small', 'EUR', '2025-01-01T00:00:00Z', perUnit('0.0096')),
]);

describe('PriceBook.priceAt', () => {
  it('takes the entry with the greatest effectiveFrom <= t', () => {
    expect(book.priceAt('compute.s1.small', 'USD', at('2025-03-14T23:00:00Z')).model).toEqual(perUnit('0.0104'));
    expect(book.priceAt('compute.s1.small', 'USD', at('2025-03-15T00:00:00Z')).model).toEqual(perUnit('0.0099'));
    expect(book.priceAt('compute.s1.small', 'USD', at('2030-01-01T00:00:00Z')).model).toEqual(perUnit('0.0099'));
    expect(book.priceAt('compute.s1.small', 'EUR', at('2025-03-20T00:00:00Z')).model).toEqual(perUnit('0.0096'));
  });

  it('throws a typed, non-retryable error when nothing is in force', () => {
    const attempt = () => book.priceAt('compute.s1.small', 'USD', at('2024-12-31T23:00:00Z'));
    expect(attempt).toThrowError(MissingPriceError);
    expect(attempt).toThrowError('no price for compute.s1.small in USD at 2024-12-31T23:00:00.000Z');
    expect(() => book.priceAt('egress.gb', 'USD', at('2025-03-01T00:00:00Z'))).toThrowError(MissingPriceError);
    expect(() => book.priceAt('compute.s1.small', 'CHF', at('2025-03-01T00:00:00Z'))).toThrowError(MissingPriceError);
    expect(book.findPriceAt('egress.gb', 'USD', 0)).toBeUndefined();
  });

  it('lets a later value for the same key replace an earlier one, like compaction', () => {
    const replaced = PriceBook.from([
      entry('egress.gb', 'USD', '2025-01-01T00:00:00Z', perUnit('0.1')),
      entry('egress.gb', 'USD', '2025-01-01T00:00:00Z', perUnit('0.08')),
    ]);
    expect(replaced.entries()).toHaveLength(1);
    expect(replaced.priceAt('egress.gb', 'USD', at('2025-02-01T00:00:00Z')).model).toEqual(perUnit('0.08'));
  });

  it('finds entries by key and keeps currencies apart', () => {
    const key = priceEntryKey(entry('compute.s1.small', 'EUR', '2025-01-01T00:00:00Z', perUnit('1')));
    expect(key).toBe('compute.s1.small|EUR|2025-01-01T00:00:00.000Z');
    expect(book.byKey(key).currency).toBe('EUR');
    expect(() => book.byKey('nope|USD|x')).toThrowError(MissingPriceError);
  });

  it('rejects invalid pricing models when built', () => {
    expect(() =>
      PriceBook.from([
        entry('egress.gb', 'USD', '2025-01-01T00:00:00Z', {
          kind: 'graduated',
          tiers: [{ upTo: '5', unitPrice: '1', flatFee: '0' }],
        }),
      ]),
    ).toThrowError(/last tier must be open-ended/);
  });
});
