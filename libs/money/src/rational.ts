import { Dec, decimal, InvalidDecimalError } from './decimal.ts';

/** What exact arithmetic accepts: a Rational, a decimal string ("12.50"), a Decimal, or an integer as a bigint. */
export type RationalInput = Rational | string | Dec | bigint;

const DECIMAL_PATTERN = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/** 2^53 - 1: up to here a bigint converts to a double exactly, and % on doubles is exact. */
const SAFE = 9_007_199_254_740_991n;

/** 10^n for the small n that decimal strings and money need, computed once. */
const POWERS_OF_TEN: readonly bigint[] = Array.from({ length: 64 }, (_, n) => 10n ** BigInt(n));

/** 10^n as a bigint (n ≥ 0). */
function pow10(n: number): bigint {
  return n < POWERS_OF_TEN.length ? POWERS_OF_TEN[n]! : 10n ** BigInt(n);
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  // Euclid on bigints until both fit a double exactly, then on doubles: the same remainders, without a heap
  // allocation per step (the hot path's numbers are small: seconds, bytes, prices with a few decimals).
  while (y !== 0n && (x > SAFE || y > SAFE)) [x, y] = [y, x % y];
  if (y === 0n) return x;
  let p = Number(x);
  let q = Number(y);
  while (q !== 0) {
    const r = p % q;
    p = q;
    q = r;
  }
  return BigInt(p);
}

/**
 * The number of decimals of 1/den when it terminates (den = 2^a·5^b: max(a, b)), else -1. den > 0.
 *
 * @example
 * terminatingDigits(40n); // 3 (1/40 = 0.025)
 */
function terminatingDigits(den: bigint): number {
  let twos = 0;
  let fives = 0;
  if (den <= SAFE) {
    let d = Number(den);
    while (d % 2 === 0) {
      d /= 2;
      twos += 1;
    }
    while (d % 5 === 0) {
      d /= 5;
      fives += 1;
    }
    return d === 1 ? Math.max(twos, fives) : -1;
  }
  let d = den;
  while (d % 2n === 0n) {
    d /= 2n;
    twos += 1;
  }
  while (d % 5n === 0n) {
    d /= 5n;
    fives += 1;
  }
  return d === 1n ? Math.max(twos, fives) : -1;
}

/**
 * An exact rational number: numerator / denominator as BigInts, always reduced, denominator positive. Nothing is
 * ever rounded or cut, whatever the size of the operands: this is how money is computed (invariant 5). Decimals
 * stay the wire and storage form; a Rational is what a line amount is before its one rounding.
 *
 * @example
 * const hours = Rational.fraction(6600n, 3600n); // 11/6 h, not 1.8333… cut at some precision
 * hours.times('0.03').toString(); // '0.055'
 */
export class Rational {
  readonly num: bigint;
  readonly den: bigint;

  private constructor(num: bigint, den: bigint) {
    this.num = num;
    this.den = den;
  }

  static readonly ZERO = new Rational(0n, 1n);
  static readonly ONE = new Rational(1n, 1n);

  /** num / den, reduced. Throws RangeError on a zero denominator. */
  static fraction(num: bigint, den: bigint): Rational {
    if (den === 0n) throw new RangeError('division by zero');
    if (den < 0n) [num, den] = [-num, -den];
    if (den === 1n) return new Rational(num, 1n);
    const g = gcd(num, den);
    return g === 1n ? new Rational(num, den) : new Rational(num / g, den / g);
  }

  /**
   * Exact value of a decimal string, a Decimal, a bigint or a Rational. Decimal strings are parsed as strictly as
   * `decimal()`: no exponent, no blanks, never a JavaScript number.
   *
   * @example
   * Rational.from('12.50').toString(); // '12.5'
   */
  static from(value: RationalInput): Rational {
    if (value instanceof Rational) return value;
    if (typeof value === 'bigint') return new Rational(value, 1n);
    const text = typeof value === 'string' ? value : decimal(value).toFixed();
    const match = DECIMAL_PATTERN.exec(text);
    if (match === null) throw new InvalidDecimalError(`not a decimal string: ${JSON.stringify(value)}`);
    const [, sign, whole, fraction = ''] = match;
    const magnitude = BigInt(whole! + fraction);
    return Rational.fraction(sign === '-' ? -magnitude : magnitude, pow10(fraction.length));
  }

  plus(other: RationalInput): Rational {
    const o = Rational.from(other);
    // Both are reduced: adding zero gives the other as it is.
    if (o.num === 0n) return this;
    if (this.num === 0n) return o;
    if (this.den === o.den) return Rational.fraction(this.num + o.num, this.den);
    return Rational.fraction(this.num * o.den + o.num * this.den, this.den * o.den);
  }

  minus(other: RationalInput): Rational {
    return this.plus(Rational.from(other).neg());
  }

  times(other: RationalInput): Rational {
    const o = Rational.from(other);
    if (this.num === 0n || o.num === 0n) return Rational.ZERO;
    return Rational.fraction(this.num * o.num, this.den * o.den);
  }

  div(other: RationalInput): Rational {
    const o = Rational.from(other);
    if (o.num === 0n) throw new RangeError('division by zero');
    return Rational.fraction(this.num * o.den, this.den * o.num);
  }

  neg(): Rational {
    return new Rational(-this.num, this.den);
  }

  abs(): Rational {
    return this.num < 0n ? this.neg() : this;
  }

  /** -1, 0 or 1 as this is below, equal to or above `other`. */
  cmp(other: RationalInput): -1 | 0 | 1 {
    const o = Rational.from(other);
    const left = this.num * o.den;
    const right = o.num * this.den;
    return left < right ? -1 : left > right ? 1 : 0;
  }

  eq(other: RationalInput): boolean {
    return this.cmp(other) === 0;
  }
  lt(other: RationalInput): boolean {
    return this.cmp(other) < 0;
  }
  lte(other: RationalInput): boolean {
    return this.cmp(other) <= 0;
  }
  gt(other: RationalInput): boolean {
    return this.cmp(other) > 0;
  }
  gte(other: RationalInput): boolean {
    return this.cmp(other) >= 0;
  }

  isZero(): boolean {
    return this.num === 0n;
  }
  isNegative(): boolean {
    return this.num < 0n;
  }
  isPositive(): boolean {
    return this.num > 0n;
  }
  isInteger(): boolean {
    return this.den === 1n;
  }

  /** The greatest integer not above this. */
  floor(): bigint {
    const q = this.num / this.den; // truncates toward zero
    return this.num < 0n && q * this.den !== this.num ? q - 1n : q;
  }

  /** The least integer not below this. */
  ceil(): bigint {
    return -this.neg().floor();
  }

  static min(a: RationalInput, b: RationalInput): Rational {
    const [x, y] = [Rational.from(a), Rational.from(b)];
    return x.lte(y) ? x : y;
  }

  static max(a: RationalInput, b: RationalInput): Rational {
    const [x, y] = [Rational.from(a), Rational.from(b)];
    return x.gte(y) ? x : y;
  }

  /** True when the value has a finite decimal expansion (its reduced denominator is 2^a·5^b). */
  isTerminating(): boolean {
    return terminatingDigits(this.den) >= 0;
  }

  /**
   * The integer nearest to this × 10^digits, half away from zero: the value rounded to `digits` decimals, as a
   * count of 10^-digits. `digits` may be negative (rounds to tens, hundreds, …).
   *
   * @example
   * Rational.from('0.055').scaledHalfAwayFromZero(2); // 6n
   */
  scaledHalfAwayFromZero(digits: number): bigint {
    return nearestHalfAway(this.num, this.den, digits);
  }

  /** The integer part of this × 10^digits, toward zero: the value truncated to `digits` decimals. */
  scaledTowardZero(digits: number): bigint {
    return digits >= 0 ? (this.num * pow10(digits)) / this.den : this.num / (this.den * pow10(-digits));
  }

  /**
   * Exact text: the plain decimal when the value terminates ('0.055', '-3'), else the reduced fraction ('11/6').
   * Never '-0'.
   */
  toString(): string {
    const digits = terminatingDigits(this.den);
    if (digits < 0) return `${this.num}/${this.den}`;
    return digits === 0 ? this.num.toString() : formatScaled(this.num * (pow10(digits) / this.den), digits);
  }

  /** A Decimal of the exact value; throws when the value does not terminate (it would have to be rounded). */
  toDecimal(): Dec {
    if (!this.isTerminating()) throw new RangeError(`${this.toString()} has no finite decimal expansion`);
    return new Dec(this.toString());
  }
}

/** round(num / den × 10^digits), half away from zero, on raw BigInts (den > 0; no reduction needed). */
function nearestHalfAway(num: bigint, den: bigint, digits: number): bigint {
  let n = num < 0n ? -num : num;
  let d = den;
  if (digits >= 0) n *= pow10(digits);
  else d *= pow10(-digits);
  const whole = n / d;
  const rounded = 2n * (n - whole * d) >= d ? whole + 1n : whole;
  return num < 0n ? -rounded : rounded;
}

/**
 * Writes n × 10^-digits in plain notation with exactly `digits` decimals (none when digits ≤ 0); never '-0'.
 *
 * @example
 * formatScaled(-5n, 2); // '-0.05'
 */
export function formatScaled(n: bigint, digits: number): string {
  const negative = n < 0n;
  const magnitude = negative ? -n : n;
  let text: string;
  if (digits <= 0) text = (magnitude * pow10(-digits)).toString();
  else {
    const padded = magnitude.toString().padStart(digits + 1, '0');
    text = `${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
  }
  return negative && magnitude !== 0n ? `-${text}` : text;
}

/** Significant digits a non-terminating value is shown with: display only, never used to compute. */
export const DISPLAY_SIGNIFICANT_DIGITS = 40;

/**
 * A decimal string for showing an exact value: the value itself when it terminates, else rounded half away from zero
 * to 40 significant digits (a third of an hour is '0.3333333333333333333333333333333333333333'). Invoice quantities
 * and full-precision amounts are written this way; money is never computed from the shown digits (see
 * `snapToGrid` for reading a quantity back exactly).
 *
 * @example
 * displayDecimal(Rational.fraction(6600n, 3600n)); // '1.833333333333333333333333333333333333333'
 * displayDecimal(Rational.from('0.055')); // '0.055'
 */
export function displayDecimal(value: Rational): string {
  const digits = terminatingDigits(value.den);
  if (digits < 0) return shownDigits(value.num, value.den);
  return digits === 0 ? value.num.toString() : formatScaled(value.num * (pow10(digits) / value.den), digits);
}

/** 40 significant digits of num/den (den > 0, not terminating), half away from zero, trailing zeros dropped. */
function shownDigits(num: bigint, den: bigint): string {
  const magnitude = num < 0n ? -num : num;
  // exponent = floor(log10 |value|), found from digit counts and corrected by one comparison.
  let exponent = magnitude.toString().length - den.toString().length;
  const below = exponent >= 0 ? magnitude < den * pow10(exponent) : magnitude * pow10(-exponent) < den;
  if (below) exponent -= 1;
  const digits = DISPLAY_SIGNIFICANT_DIGITS - 1 - exponent;
  const text = formatScaled(nearestHalfAway(num, den, digits), digits);
  // A non-terminating value can only gain trailing zeros by a carry (0.99…96 → 1.000…0).
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/**
 * Reads a shown quantity back exactly. A quantity counted in whole base units (seconds, bytes) is k/perUnit; when
 * it does not terminate, displayDecimal shows it to 40 significant digits. If the text is exactly how the nearest
 * multiple of 1/perUnit is shown, that multiple is the value (display is deterministic, so this inverts it for every
 * quantity below MAX_QUANTITY, where neighbouring multiples show differently); otherwise the text is taken as the
 * exact decimal it is.
 *
 * @example
 * snapToGrid('0.3333333333333333333333333333333333333333', 3600n).toString(); // '1/3'
 * snapToGrid('0.001', 3600n).toString(); // '0.001' (not a whole number of seconds, but exactly what it says)
 */
export function snapToGrid(shown: string, perUnit: bigint): Rational {
  const match = DECIMAL_PATTERN.exec(shown);
  if (match === null) throw new InvalidDecimalError(`not a decimal string: ${JSON.stringify(shown)}`);
  const [, sign, whole, fraction = ''] = match;
  const scale = pow10(fraction.length);
  const digits = BigInt(whole! + fraction) * (sign === '-' ? -1n : 1n);
  // shown = digits / scale; the nearest multiple of 1/perUnit is k / perUnit.
  const k = nearestHalfAway(digits * perUnit, scale, 0);
  if (k * scale === digits * perUnit) return Rational.fraction(k, perUnit); // on the grid as written
  const nearest = Rational.fraction(k, perUnit);
  return displayDecimal(nearest) === shown ? nearest : Rational.fraction(digits, scale);
}
