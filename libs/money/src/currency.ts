export class CurrencyError extends Error {
  override readonly name = 'CurrencyError';
}

// Node ships full ICU, whose CLDR data already knows every ISO 4217 code and its minor unit;
// a hand-written table would only drift from it.
const KNOWN = new Set(Intl.supportedValuesOf('currency'));
const minorUnitCache = new Map<string, number>();

/** True for a known ISO 4217 code such as 'USD'. */
export function isCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && KNOWN.has(code);
}

/**
 * Returns the code if it is a known ISO 4217 currency, else throws CurrencyError.
 *
 * @example
 * assertCurrency('EUR'); // 'EUR'
 */
export function assertCurrency(code: string): string {
  if (!isCurrency(code)) throw new CurrencyError(`unknown currency code: ${JSON.stringify(code)}`);
  return code;
}

/**
 * Digits after the decimal point of the currency's minor unit.
 *
 * @example
 * minorUnits('USD'); // 2
 * minorUnits('JPY'); // 0
 * minorUnits('KWD'); // 3
 */
export function minorUnits(currency: string): number {
  const cached = minorUnitCache.get(currency);
  if (cached !== undefined) return cached;
  assertCurrency(currency);
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
  if (digits === undefined) throw new CurrencyError(`no minor unit known for ${currency}`);
  minorUnitCache.set(currency, digits);
  return digits;
}
