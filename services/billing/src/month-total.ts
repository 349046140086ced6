import { Dec, formatScaled, Rational, toDecimalString } from '@tally/money';

const PLAIN = /^(-?)(\d+)(?:\.(\d+))?$/;
/** decimal.js's precision in Dec: a sum with more significant digits than this is rounded by it. */
const DEC_DIGITS = 40;

/**
 * The month's running total of shown hourTotal strings, exactly as a chain of Dec additions computes it (Dec rounds
 * a sum to 40 significant digits, and positions store that), without decimal.js while the sum is exact: as scaled
 * bigints as long as every sum has at most 40 significant digits (then Dec's is that very sum), and on Dec from the
 * first sum that has more. The sweep adds one per hour for every account; Dec allocated and parsed each time.
 *
 * @example
 * new MonthTotal('0.1').plus('0.2').text(); // '0.3'
 */
export class MonthTotal {
  /** The value while exact: units of 10^-scale, trailing zeros removed. */
  #units = 0n;
  #scale = 0;
  /** Set once a sum needed rounding: from then on the chain is decimal.js's. */
  #dec: Dec | undefined;
  #text: string | undefined;
  #rational: Rational | undefined;

  constructor(start: string | undefined) {
    if (start === undefined) return;
    const parsed = parse(start);
    if (parsed === undefined) this.#dec = new Dec(start);
    else [this.#units, this.#scale] = parsed;
  }

  /** Adds a decimal string (an hour's hourTotal). */
  plus(text: string): this {
    this.#text = undefined;
    this.#rational = undefined;
    const parsed = this.#dec === undefined ? parse(text) : undefined;
    if (parsed !== undefined) {
      const [units, scale] = parsed;
      const common = Math.max(scale, this.#scale);
      const sum = this.#units * 10n ** BigInt(common - this.#scale) + units * 10n ** BigInt(common - scale);
      const [n, s] = normalized(sum, common);
      if (significantDigits(n) <= DEC_DIGITS) {
        this.#units = n;
        this.#scale = s;
        return this;
      }
    }
    // Dec's chain from here: its value so far is the exact one (nothing was rounded yet), so the result is the same.
    this.#dec = (this.#dec ?? new Dec(formatScaled(this.#units, this.#scale))).plus(text);
    return this;
  }

  /** As toDecimalString writes the Dec total: plain, no trailing zeros, never '-0'. */
  text(): string {
    return (this.#text ??=
      this.#dec === undefined ? formatScaled(this.#units, this.#scale) : toDecimalString(this.#dec));
  }

  /** The total as an exact Rational (what Rational.from(text()) gives). */
  rational(): Rational {
    return (this.#rational ??=
      this.#dec === undefined
        ? Rational.fraction(this.#units, 10n ** BigInt(this.#scale))
        : Rational.from(this.text()));
  }
}

function parse(text: string): [bigint, number] | undefined {
  const match = PLAIN.exec(text);
  if (match === null) return undefined;
  const fraction = match[3] ?? '';
  const magnitude = BigInt(match[2]! + fraction);
  return normalized(match[1] === '-' ? -magnitude : magnitude, fraction.length);
}

function normalized(units: bigint, scale: number): [bigint, number] {
  if (units === 0n) return [0n, 0];
  while (scale > 0 && units % 10n === 0n) {
    units /= 10n;
    scale -= 1;
  }
  return [units, scale];
}

function significantDigits(units: bigint): number {
  return (units < 0n ? -units : units).toString().length;
}
