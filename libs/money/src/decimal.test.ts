import decimalJs from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { Dec, decimal, InvalidDecimalError, sumDecimals, toDecimalString } from './decimal.ts';

const DecimalJs = decimalJs as unknown as typeof decimalJs.Decimal;

describe('decimal', () => {
  it('parses plain decimal strings exactly', () => {
    expect(decimal('0.1').plus('0.2').toFixed()).toBe('0.3');
    expect(decimal('-12.50').toFixed()).toBe('-12.5');
    expect(decimal('+3').toFixed()).toBe('3');
  });

  it.each(['', ' 1', '1.', '.5', '1e3', 'NaN', 'Infinity', '0x10', '1,5'])('rejects %j', (text) => {
    expect(() => decimal(text)).toThrowError(InvalidDecimalError);
  });

  it('rejects numbers at run time', () => {
    expect(() => decimal(0.1 as unknown as string)).toThrowError(InvalidDecimalError);
  });

  it('accepts Decimals from other constructors, but not NaN', () => {
    expect(decimal(new DecimalJs('2.5')).toFixed()).toBe('2.5');
    expect(() => decimal(new DecimalJs(NaN))).toThrowError(InvalidDecimalError);
  });

  it('keeps its settings private', () => {
    const before = DecimalJs.precision;
    expect(Dec.precision).toBe(40);
    expect(Dec.rounding).toBe(DecimalJs.ROUND_HALF_UP);
    expect(DecimalJs.precision).toBe(before);
    expect(decimal('1').div(3).toFixed()).toBe('0.' + '3'.repeat(40));
  });
});

describe('toDecimalString', () => {
  it('writes plain, canonical notation', () => {
    expect(toDecimalString('1.500')).toBe('1.5');
    expect(toDecimalString('-0.000')).toBe('0');
    expect(toDecimalString(decimal('1').div('1' + '0'.repeat(30)))).toBe('0.' + '0'.repeat(29) + '1');
    expect(toDecimalString(decimal('123456789012345678901234567890'))).toBe('123456789012345678901234567890');
  });
});

describe('sumDecimals', () => {
  it('sums exactly, 0 for none', () => {
    expect(sumDecimals(['0.1', '0.2', '-0.3']).isZero()).toBe(true);
    expect(sumDecimals([]).toFixed()).toBe('0');
  });
});
