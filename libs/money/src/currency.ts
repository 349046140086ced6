import { ISO_4217_MINOR_UNITS, NOT_BILLABLE } from './iso-4217.ts';

export class CurrencyError extends Error {
  override readonly name = 'CurrencyError';
}

// Minor units come from the pinned ISO 4217 table, never from Intl: ICU's CLDR data disagrees with ISO for some codes
// (HUF, IQD) and changes with Node upgrades, which would change how a rebuilt month rounds.
const MINOR_UNITS = new Map(Object.entries(ISO_4217_MINOR_UNITS));

/** True for an active ISO 4217 currency that has a minor unit, such as 'USD' (not 'XAU', not 'usd'). */
export function isCurrency(code: string): boolean {
  return MINOR_UNITS.has(code);
}

/**
 * Returns the code if it is an active ISO 4217 currency with a minor unit, else throws CurrencyError saying why.
 *
 * @example
 * assertCurrency('EUR'); // 'EUR'
 * assertCurrency('XAU'); // throws: XAU has no minor unit in ISO 4217 (N.A.); it cannot be billed in
 */
export function assertCurrency(code: string): string {
  if (isCurrency(code)) return code;
  if (NOT_BILLABLE.has(code)) {
    throw new CurrencyError(`${code} has no minor unit in ISO 4217 (N.A.); it cannot be billed in`);
  }
  throw new CurrencyError(`unknown currency code: ${JSON.stringify(code)} (not in the pinned ISO 4217 table)`);
}

/**
 * Digits after the decimal point of the currency's minor unit, from the pinned ISO 4217 table.
 *
 * @example
 * minorUnits('USD'); // 2
 * minorUnits('JPY'); // 0
 * minorUnits('KWD'); // 3
 * minorUnits('HUF'); // 2 (ICU says 0)
 */
export function minorUnits(currency: string): number {
  const digits = MINOR_UNITS.get(currency);
  if (digits === undefined) assertCurrency(currency);
  return digits!;
}
