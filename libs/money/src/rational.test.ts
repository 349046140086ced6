import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayDecimal, formatScaled, Rational, snapToGrid } from './rational.ts';

describe('Rational', () => {
  it('is reduced, with a positive denominator', () => {
    const r = Rational.fraction(6600n, -3600n);
    expect([r.num, r.den]).toEqual([-11n, 6n]);
    expect(Rational.from('12.50').toString()).toBe('12.5');
    expect(Rational.from('-0.000').toString()).toBe('0');
    expect(() => Rational.from('1e3')).toThrowError(/not a decimal string/);
    expect(() => Rational.fraction(1n, 0n)).toThrowError(RangeError);
  });

  it('computes exactly', () => {
    const third = Rational.fraction(1n, 3n);
    expect(third.plus(third).plus(third).toString()).toBe('1');
    expect(third.times('0.3').toString()).toBe('0.1');
    expect(Rational.from('0.1').plus('0.2').eq('0.3')).toBe(true);
    expect(Rational.from('10').div(third).toString()).toBe('30');
    expect(third.toString()).toBe('1/3');
  });

  it('floors and ceils toward the right integers, negatives too', () => {
    expect(Rational.fraction(7n, 2n).floor()).toBe(3n);
    expect(Rational.fraction(-7n, 2n).floor()).toBe(-4n);
    expect(Rational.fraction(7n, 2n).ceil()).toBe(4n);
    expect(Rational.fraction(-7n, 2n).ceil()).toBe(-3n);
    expect(Rational.from('4').ceil()).toBe(4n);
  });

  it('rounds half away from zero at any scale', () => {
    expect(Rational.from('0.055').scaledHalfAwayFromZero(2)).toBe(6n);
    expect(Rational.from('-0.055').scaledHalfAwayFromZero(2)).toBe(-6n);
    expect(Rational.from('0.0549').scaledHalfAwayFromZero(2)).toBe(5n);
    expect(Rational.from('150').scaledHalfAwayFromZero(-2)).toBe(2n);
  });

  it('parses what it writes (property)', () => {
    fc.assert(
      fc.property(fc.bigInt(), fc.bigInt({ min: 1n, max: 10n ** 30n }), (n, d) => {
        const r = Rational.fraction(n, d);
        const text = r.toString();
        const back = text.includes('/')
          ? Rational.fraction(BigInt(text.split('/')[0]!), BigInt(text.split('/')[1]!))
          : Rational.from(text);
        expect(back.eq(r)).toBe(true);
      }),
    );
  });
});

/** The reduction and decimal text as first written: bigint Euclid, powers of ten tried one by one. */
function reference(num: bigint, den: bigint): { num: bigint; den: bigint; text: string } {
  if (den < 0n) [num, den] = [-num, -den];
  let [x, y] = [num < 0n ? -num : num, den];
  while (y !== 0n) [x, y] = [y, x % y];
  [num, den] = [num / x, den / x];
  let d = den;
  while (d % 2n === 0n) d /= 2n;
  while (d % 5n === 0n) d /= 5n;
  if (d !== 1n) return { num, den, text: `${num}/${den}` };
  let digits = 0;
  while (10n ** BigInt(digits) % den !== 0n) digits += 1;
  return { num, den, text: formatScaled(num * (10n ** BigInt(digits) / den), digits) };
}

describe('Rational fast paths', () => {
  // Numerators and denominators on both sides of 2^53, where gcd and the decimal text switch from doubles to bigints.
  const edge = fc.oneof(
    fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }),
    fc.bigInt({ min: 2n ** 53n - 1000n, max: 2n ** 53n + 1000n }),
    fc.constantFrom(0n, 1n, -1n, 3600n, 10n ** 9n, 2n ** 53n - 1n, 2n ** 53n, 10n ** 40n, 2n ** 70n * 5n ** 3n),
  );
  const nonZero = edge.filter((d) => d !== 0n);

  it('reduce and write exactly what plain bigint arithmetic gives (property)', () => {
    fc.assert(
      fc.property(edge, nonZero, (n, d) => {
        const r = Rational.fraction(n, d);
        const want = reference(n, d);
        expect([r.num, r.den, r.toString()]).toEqual([want.num, want.den, want.text]);
        expect(r.isTerminating()).toBe(!want.text.includes('/'));
        if (!want.text.includes('/')) expect(displayDecimal(r)).toBe(want.text);
      }),
      { numRuns: 2000 },
    );
  });

  it('add and multiply zero and equal denominators as the general formulas do (property)', () => {
    fc.assert(
      fc.property(edge, nonZero, edge, nonZero, (a, b, c, d) => {
        const [x, y] = [Rational.fraction(a, b), Rational.fraction(c, d)];
        const sum = reference(a * d + c * b, b * d);
        const product = reference(a * c, b * d);
        expect([x.plus(y).num, x.plus(y).den]).toEqual([sum.num, sum.den]);
        expect([x.times(y).num, x.times(y).den]).toEqual([product.num, product.den]);
        expect(x.plus(Rational.ZERO)).toEqual(x);
        expect(x.times(Rational.ZERO)).toEqual(Rational.ZERO);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('formatScaled', () => {
  it('writes exactly the digits asked for, never "-0"', () => {
    expect(formatScaled(-5n, 2)).toBe('-0.05');
    expect(formatScaled(0n, 3)).toBe('0.000');
    expect(formatScaled(1230n, 0)).toBe('1230');
    expect(formatScaled(12n, -2)).toBe('1200');
  });
});

describe('displayDecimal', () => {
  it('writes terminating values in full and others to 40 significant digits', () => {
    expect(displayDecimal(Rational.from('0.055'))).toBe('0.055');
    expect(displayDecimal(Rational.fraction(1n, 3n))).toBe('0.' + '3'.repeat(40));
    expect(displayDecimal(Rational.fraction(-2n, 3n))).toBe('-0.' + '6'.repeat(39) + '7');
    expect(displayDecimal(Rational.fraction(6600n, 3600n))).toBe('1.8' + '3'.repeat(38));
    expect(displayDecimal(Rational.fraction(10n ** 45n, 3n))).toBe('3'.repeat(40) + '00000');
    const long = '1234567890.1234567890123456789012345678901234567890123';
    expect(displayDecimal(Rational.from(long))).toBe(long);
  });
});

describe('snapToGrid', () => {
  it('reads a shown quantity of whole base units back exactly (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 33n), max: 10n ** 33n }),
        fc.constantFrom(3600n, 1_000_000_000n),
        (k, per) => {
          const exact = Rational.fraction(k, per);
          expect(snapToGrid(displayDecimal(exact), per).eq(exact)).toBe(true);
        },
      ),
    );
  });

  it('takes other text as the exact decimal it is', () => {
    expect(snapToGrid('0.001', 3600n).toString()).toBe('0.001');
    expect(snapToGrid('0.333333', 3600n).toString()).toBe('0.333333');
    expect(snapToGrid('0.' + '3'.repeat(40), 3600n).toString()).toBe('1/3');
  });
});
