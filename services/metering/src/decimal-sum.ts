/**
 * Exact sums of non-negative decimal strings (CPU seconds) without floats or decimal.js:
 * each value becomes an integer of units at its scale (BigInt), so no digit is ever rounded away.
 */
const NON_NEGATIVE_DECIMAL = /^(\d+)(?:\.(\d+))?$/;

interface Scaled {
  readonly units: bigint;
  readonly scale: number;
}

function parse(value: string): Scaled {
  const match = NON_NEGATIVE_DECIMAL.exec(value);
  if (match === null) throw new RangeError(`not a non-negative decimal string: ${JSON.stringify(value)}`);
  const fraction = match[2] ?? '';
  return { units: BigInt(`${match[1] ?? '0'}${fraction}`), scale: fraction.length };
}

function format({ units, scale }: Scaled): string {
  const digits = units.toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  // Canonical form (no trailing zeros, "0" for zero) so equal sums are equal strings, whatever the order of addition.
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
  return fraction === '' ? whole : `${whole}.${fraction}`;
}

/**
 * Exact sum of two non-negative decimal strings, in canonical form.
 *
 * @example
 * addDecimals('0.1', '0.2') === '0.3';
 * addDecimals('1.50', '2') === '3.5';
 */
export function addDecimals(a: string, b: string): string {
  const x = parse(a);
  const y = parse(b);
  const scale = Math.max(x.scale, y.scale);
  const units = x.units * 10n ** BigInt(scale - x.scale) + y.units * 10n ** BigInt(scale - y.scale);
  return format({ units, scale });
}

/**
 * The canonical form of a non-negative decimal string.
 *
 * @example
 * canonicalDecimal('007.100') === '7.1';
 */
export function canonicalDecimal(value: string): string {
  return format(parse(value));
}

/**
 * Compares two non-negative decimal strings: negative, zero or positive like a sort comparator.
 *
 * @example
 * compareDecimals('10', '9.99') > 0;
 */
export function compareDecimals(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  const scale = Math.max(x.scale, y.scale);
  const left = x.units * 10n ** BigInt(scale - x.scale);
  const right = y.units * 10n ** BigInt(scale - y.scale);
  return left === right ? 0 : left < right ? -1 : 1;
}
