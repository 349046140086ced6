import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDecimals, canonicalDecimal, compareDecimals } from './decimal-sum.ts';

describe('decimal sums', () => {
  it('adds exactly where floats do not', () => {
    expect(addDecimals('0.1', '0.2')).toBe('0.3');
    expect(addDecimals('1.50', '2')).toBe('3.5');
    expect(addDecimals('0', '0.000001')).toBe('0.000001');
    expect(addDecimals('9007199254740993', '0.25')).toBe('9007199254740993.25');
  });

  it('gives canonical strings', () => {
    expect(canonicalDecimal('007.100')).toBe('7.1');
    expect(canonicalDecimal('0.000')).toBe('0');
  });

  it('compares', () => {
    expect(compareDecimals('10', '9.99')).toBe(1);
    expect(compareDecimals('1.0', '1')).toBe(0);
    expect(compareDecimals('0.5', '0.50001')).toBe(-1);
  });

  it('rejects what is not a non-negative decimal', () => {
    expect(() => addDecimals('-1', '1')).toThrow(RangeError);
    expect(() => addDecimals('1e3', '1')).toThrow(RangeError);
  });

  it('does not depend on the order of addition', () => {
    const decimal = fc
      .tuple(fc.nat(1_000_000), fc.nat(999_999), fc.integer({ min: 0, max: 6 }))
      .map(([whole, fraction, digits]) =>
        digits === 0 ? `${whole}` : `${whole}.${String(fraction).padStart(6, '0').slice(0, digits)}`,
      );
    fc.assert(
      fc.property(fc.array(decimal), (values) => {
        const forward = values.reduce(addDecimals, '0');
        const backward = [...values].reverse().reduce(addDecimals, '0');
        expect(forward).toBe(backward);
        // Oracle: every value has at most 6 decimals, so integer micro-units sum it exactly.
        const micros = values.reduce((sum, v) => {
          const [whole = '0', fraction = ''] = v.split('.');
          return sum + BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
        }, 0n);
        const text = micros.toString().padStart(7, '0');
        expect(forward).toBe(canonicalDecimal(`${text.slice(0, -6)}.${text.slice(-6)}`));
      }),
    );
  });
});
