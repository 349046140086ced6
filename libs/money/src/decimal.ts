import decimalJs, { type Decimal as DecimalJs } from 'decimal.js';

// decimal.js ships CommonJS-style typings for its ES module: at run time the default import is the class
// itself, while TypeScript (nodenext) sees the module object. Say what it is once, here.
const DecimalClass = decimalJs as unknown as typeof decimalJs.Decimal;

/**
 * Tally's private Decimal constructor. A clone, so that nobody else's `Decimal.set(...)` can change our
 * precision or rounding, and ours never leaks into theirs. It parses and carries decimal strings; its
 * arithmetic rounds to 40 significant digits, so money is never computed with it: line amounts, sums and
 * differences use the exact `Rational` (invariant 5).
 * Rounding is ROUND_HALF_UP, which in decimal.js means half away from zero (-0.005 → -0.01).
 */
export const Dec = DecimalClass.clone({
  precision: 40,
  rounding: DecimalClass.ROUND_HALF_UP,
  toExpNeg: -100,
  toExpPos: 100,
});
export type Dec = DecimalJs;

/** What the money API accepts: decimal strings or decimals. Never a JavaScript number (binary floats are not money). */
export type DecimalInput = string | DecimalJs;

export class InvalidDecimalError extends Error {
  override readonly name = 'InvalidDecimalError';
}

const DECIMAL_PATTERN = /^[+-]?\d+(\.\d+)?$/;

/**
 * Parses a decimal strictly: a plain decimal string ("12.50", "-3", "0.001") or a Decimal.
 * Rejects numbers, exponents, blanks, "NaN" and "Infinity".
 *
 * @example
 * decimal('0.10').plus(decimal('0.20')).toFixed(); // '0.3'
 */
export function decimal(value: DecimalInput): Dec {
  if (typeof value === 'string') {
    if (!DECIMAL_PATTERN.test(value)) throw new InvalidDecimalError(`not a decimal string: ${JSON.stringify(value)}`);
    return new Dec(value);
  }
  // A runtime guard too: callers in plain JavaScript could still pass a float.
  if (!DecimalClass.isDecimal(value))
    throw new InvalidDecimalError(`expected a decimal string or a Decimal, got ${typeof value}`);
  if (!value.isFinite()) throw new InvalidDecimalError(`not a finite decimal: ${value.toString()}`);
  return new Dec(value);
}

/**
 * The canonical wire form of a decimal: plain notation, no exponent, no trailing zeros, no "-0".
 * It always matches `decimalString` of @tally/records.
 *
 * @example
 * toDecimalString(decimal('1.500')); // '1.5'
 */
export function toDecimalString(value: DecimalInput): string {
  const d = decimal(value);
  return d.isZero() ? '0' : d.toFixed();
}

/**
 * Exact sum of decimals; 0 for none.
 *
 * @example
 * sumDecimals(['0.1', '0.2']).toFixed(); // '0.3'
 */
export function sumDecimals(values: Iterable<DecimalInput>): Dec {
  let total = new Dec(0);
  for (const value of values) total = total.plus(decimal(value));
  return total;
}
