import { describe, expect, it } from 'vitest';
import { Rational } from './rational.ts';
import { floorToMinor, formatMinor, minorRational, roundToMinor } from './rounding.ts';

describe('roundToMinor', () => {
  it('rounds half away from zero, also on negatives', () => {
    expect(roundToMinor('2.345', 'USD').toFixed()).toBe('2.35');
    expect(roundToMinor('2.3449999', 'USD').toFixed()).toBe('2.34');
    expect(roundToMinor('-2.345', 'USD').toFixed()).toBe('-2.35');
    expect(roundToMinor('-0.005', 'USD').toFixed()).toBe('-0.01');
    expect(roundToMinor('-0.0049', 'USD').isZero()).toBe(true);
  });

  it('uses the currency minor unit', () => {
    expect(roundToMinor('2.5', 'JPY').toFixed()).toBe('3');
    expect(roundToMinor('-2.5', 'JPY').toFixed()).toBe('-3');
    expect(roundToMinor('1.0005', 'KWD').toFixed()).toBe('1.001');
    expect(roundToMinor('1.00049', 'BHD').toFixed()).toBe('1');
  });
});

describe('formatMinor', () => {
  it('writes exactly the minor digits and never "-0"', () => {
    expect(formatMinor('12.3', 'USD')).toBe('12.30');
    expect(formatMinor('1230.4', 'JPY')).toBe('1230');
    expect(formatMinor('7', 'KWD')).toBe('7.000');
    expect(formatMinor('-0.001', 'USD')).toBe('0.00');
  });
});

describe('floorToMinor', () => {
  it('truncates toward zero', () => {
    expect(floorToMinor('10.009', 'USD').toFixed()).toBe('10');
    expect(floorToMinor('10.9', 'JPY').toFixed()).toBe('10');
  });
});

describe('exact half units', () => {
  it('rounds an exact half minor unit away from zero: 6600 s at 0.03 per hour bills 0.06', () => {
    const amount = Rational.fraction(6600n, 3600n).times('0.03');
    expect(formatMinor(amount, 'USD')).toBe('0.06');
    expect(formatMinor(amount.neg(), 'USD')).toBe('-0.06');
    expect(minorRational(amount, 'USD').toString()).toBe('0.06');
  });

  it('rounds values just off the half the right way, however close', () => {
    const half = Rational.from('0.0005');
    const tiny = Rational.fraction(1n, 10n ** 80n);
    expect(formatMinor(half.minus(tiny), 'KWD')).toBe('0.000');
    expect(formatMinor(half, 'KWD')).toBe('0.001');
    expect(formatMinor(Rational.fraction(1n, 3n), 'TND')).toBe('0.333');
    expect(formatMinor(Rational.fraction(5n, 2n), 'JPY')).toBe('3');
    expect(formatMinor(Rational.fraction(-5n, 2n), 'JPY')).toBe('-3');
  });

  it('keeps every digit of large amounts', () => {
    const big = '123456789012345678901234567890123456789012345.675';
    expect(formatMinor(big, 'USD')).toBe('123456789012345678901234567890123456789012345.68');
    expect(roundToMinor(big, 'USD').toFixed()).toBe('123456789012345678901234567890123456789012345.68');
    expect(floorToMinor(big, 'USD').toFixed()).toBe('123456789012345678901234567890123456789012345.67');
  });
});
