import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec, displayDecimal, Rational, toDecimalString } from '@tally/money';
import { MonthTotal } from './month-total.ts';

/** Shown amounts as hours have them: exact decimals, and 40 significant digits of non-terminating values. */
const shown = fc
  .tuple(fc.bigInt({ min: -(10n ** 14n), max: 10n ** 16n }), fc.constantFrom(1n, 3n, 7n, 3600n, 10n ** 9n, 10n ** 4n))
  .map(([n, d]) => displayDecimal(Rational.fraction(n, d)));

describe('MonthTotal', () => {
  it('gives what a chain of Dec additions gives, text and value (property)', () => {
    fc.assert(
      fc.property(fc.option(shown, { nil: undefined }), fc.array(shown, { maxLength: 30 }), (start, hours) => {
        let dec = new Dec(start ?? 0);
        const total = new MonthTotal(start);
        for (const h of hours) {
          dec = dec.plus(h);
          total.plus(h);
          expect(total.text()).toBe(toDecimalString(dec));
          expect(total.rational().eq(Rational.from(toDecimalString(dec)))).toBe(true);
        }
        expect(total.text()).toBe(toDecimalString(dec));
      }),
      { numRuns: 500 },
    );
  });

  it('rounds like Dec once a sum passes 40 significant digits', () => {
    const third = displayDecimal(Rational.fraction(1n, 3n)); // 0.333… (40 digits)
    const total = new MonthTotal('1').plus(third);
    expect(total.text()).toBe(toDecimalString(new Dec('1').plus(third)));
    expect(total.text()).toBe('1.' + '3'.repeat(39));
    expect(new MonthTotal(undefined).plus('-0.5').plus('0.5').text()).toBe('0');
  });
});
