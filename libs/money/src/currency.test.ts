import { describe, expect, it } from 'vitest';
import { assertCurrency, CurrencyError, isCurrency, minorUnits } from './currency.ts';
import { ISO_4217_MINOR_UNITS, ISO_4217_PUBLISHED } from './iso-4217.ts';

describe('currencies', () => {
  it('takes minor units from the pinned ISO 4217 table', () => {
    expect(minorUnits('USD')).toBe(2);
    expect(minorUnits('EUR')).toBe(2);
    expect(minorUnits('JPY')).toBe(0);
    expect(minorUnits('KWD')).toBe(3);
    expect(minorUnits('BHD')).toBe(3);
    expect(minorUnits('TND')).toBe(3);
    expect(minorUnits('CLF')).toBe(4);
    expect(minorUnits('UYW')).toBe(4);
  });

  it('follows ISO 4217 where ICU/CLDR differs: HUF 2, IQD 3', () => {
    expect(minorUnits('HUF')).toBe(2);
    expect(minorUnits('IQD')).toBe(3);
  });

  it('pins a dated list covering the active codes', () => {
    expect(ISO_4217_PUBLISHED).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Object.keys(ISO_4217_MINOR_UNITS).length).toBeGreaterThanOrEqual(160);
    for (const [code, digits] of Object.entries(ISO_4217_MINOR_UNITS)) {
      expect(code).toMatch(/^[A-Z]{3}$/);
      expect([0, 2, 3, 4]).toContain(digits);
    }
    expect(minorUnits('XCG')).toBe(2);
  });

  it('rejects unknown, malformed and unbillable codes with a clear error', () => {
    expect(isCurrency('XYZ')).toBe(false);
    expect(isCurrency('usd')).toBe(false);
    expect(isCurrency('DEM')).toBe(false); // withdrawn in 2002, still in ICU's list
    expect(() => assertCurrency('US')).toThrowError(CurrencyError);
    expect(() => minorUnits('XYZ')).toThrowError(/unknown currency code: "XYZ"/);
    expect(() => assertCurrency('XAU')).toThrowError(/XAU has no minor unit in ISO 4217/);
    expect(assertCurrency('CHF')).toBe('CHF');
  });
});
