import { minorUnits } from './currency.ts';
import { Dec, decimal, type DecimalInput } from './decimal.ts';

/**
 * Rounds an amount to the currency's minor unit, half away from zero. This is the one rounding an
 * invoice line gets (invariant 5); never round before summing a line.
 *
 * @example
 * roundToMinor('2.345', 'USD').toFixed(); // '2.35'
 * roundToMinor('-2.345', 'USD').toFixed(); // '-2.35'
 * roundToMinor('2.5', 'JPY').toFixed(); // '3'
 */
export function roundToMinor(amount: DecimalInput, currency: string): Dec {
  return decimal(amount).toDecimalPlaces(minorUnits(currency), Dec.ROUND_HALF_UP);
}

/**
 * Rounds like roundToMinor and writes exactly the minor unit's digits, the form stored on an invoice.
 *
 * @example
 * formatMinor('12.3', 'USD'); // '12.30'
 * formatMinor('1.0005', 'KWD'); // '1.001'
 */
export function formatMinor(amount: DecimalInput, currency: string): string {
  const rounded = roundToMinor(amount, currency);
  // "-0.00" would make two equal invoices serialize differently.
  return (rounded.isZero() ? rounded.abs() : rounded).toFixed(minorUnits(currency));
}

/**
 * Truncates toward zero at the minor unit: the part of a credit that can actually be spent.
 *
 * @example
 * floorToMinor('10.005', 'USD').toFixed(); // '10'
 */
export function floorToMinor(amount: DecimalInput, currency: string): Dec {
  return decimal(amount).toDecimalPlaces(minorUnits(currency), Dec.ROUND_DOWN);
}
