import { describe, expect, it } from 'vitest';
import { assertCurrency, CurrencyError, isCurrency, minorUnits } from './currency.ts';

describe('currencies', () => {
  it('knows minor units from ICU', () => {
    expect(minorUnits('USD')).toBe(2);
    expect(minorUnits('EUR')).toBe(2);
    expect(minorUnits('JPY')).toBe(0);
    expect(minorUnits('KWD')).toBe(3);
    expect(minorUnits('BHD')).toBe(3);
  });

  it('rejects unknown or malformed codes', () => {
    expect(isCurrency('XYZ')).toBe(false);
    expect(isCurrency('usd')).toBe(false);
    expect(() => assertCurrency('US')).toThrowError(CurrencyError);
    expect(() => minorUnits('XYZ')).toThrowError(CurrencyError);
    expect(assertCurrency('CHF')).toBe('CHF');
  });
});
