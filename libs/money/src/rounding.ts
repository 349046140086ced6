import { minorUnits } from './currency.ts';
import { Dec } from './decimal.ts';
import { formatScaled, Rational, type RationalInput } from './rational.ts';

/**
 * Rounds an exact amount to the currency's minor unit, half away from zero. This is the one rounding an invoice
 * line gets (invariant 5); never round before summing a line. The amount may be a Rational (a line amount is one)
 * or a decimal; the result is exact, whatever the size.
 *
 * @example
 * roundToMinor('2.345', 'USD').toFixed(); // '2.35'
 * roundToMinor('-2.345', 'USD').toFixed(); // '-2.35'
 * roundToMinor('2.5', 'JPY').toFixed(); // '3'
 */
export function roundToMinor(amount: RationalInput, currency: string): Dec {
  return new Dec(formatMinor(amount, currency));
}

/**
 * Rounds like roundToMinor and writes exactly the minor unit's digits, the form stored on an invoice.
 *
 * @example
 * formatMinor('12.3', 'USD'); // '12.30'
 * formatMinor('1.0005', 'KWD'); // '1.001'
 * formatMinor(Rational.fraction(11n, 200n), 'USD'); // '0.06' (0.055, exactly half a cent)
 */
export function formatMinor(amount: RationalInput, currency: string): string {
  const digits = minorUnits(currency);
  // formatScaled never writes "-0.00", which would make two equal invoices serialize differently.
  return formatScaled(Rational.from(amount).scaledHalfAwayFromZero(digits), digits);
}

/**
 * The amount rounded to the minor unit as an exact Rational (for sums of rounded lines).
 *
 * @example
 * minorRational('0.055', 'USD').toString(); // '0.06'
 */
export function minorRational(amount: RationalInput, currency: string): Rational {
  const digits = minorUnits(currency);
  return Rational.fraction(Rational.from(amount).scaledHalfAwayFromZero(digits), 10n ** BigInt(digits));
}

/**
 * Truncates toward zero at the minor unit: the part of a credit that can actually be spent.
 *
 * @example
 * floorToMinor('10.005', 'USD').toFixed(); // '10'
 */
export function floorToMinor(amount: RationalInput, currency: string): Dec {
  const digits = minorUnits(currency);
  return new Dec(formatScaled(Rational.from(amount).scaledTowardZero(digits), digits));
}
