import { describe, expect, it } from 'vitest';
import { floorToMinor, formatMinor, roundToMinor } from './rounding.ts';

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
