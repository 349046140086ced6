export type CounterWidth = 32 | 64;

/** How a delta was read: a plain increase, a wrap of the counter's width, or a reset (driver reload, VM restart). */
export type DeltaKind = 'increase' | 'wrap' | 'reset';

export interface CounterDelta {
  readonly delta: bigint;
  readonly kind: DeltaKind;
}

/**
 * The increase of a monotonic counter between two readings.
 * A lower reading is a wrap if the distance through 2^width is plausible (at most `maxPlausible`, e.g. what the
 * link can carry in the interval); otherwise the counter was reset, and the new reading counts everything since
 * the reset, so it is the delta. Whatever happened between the last reading and the reset is unknowable and
 * lost; choosing the reading (not zero, not a guess) never invents traffic. Linux sysfs counters are 64-bit on
 * current kernels, where a wrap needs ~2^64 bytes, so in practice a drop there is a reset.
 *
 * @example
 * counterDelta(2n ** 32n - 10n, 5n, { width: 32, maxPlausible: 10n ** 9n }); // { delta: 15n, kind: 'wrap' }
 * counterDelta(5_000_000n, 1_000n, { width: 64, maxPlausible: 10n ** 9n }); // { delta: 1000n, kind: 'reset' }
 */
export function counterDelta(
  previous: bigint,
  current: bigint,
  options: { readonly width: CounterWidth; readonly maxPlausible: bigint },
): CounterDelta {
  if (previous < 0n || current < 0n) throw new RangeError('counter readings are never negative');
  if (current >= previous) return { delta: current - previous, kind: 'increase' };
  const modulus = 1n << BigInt(options.width);
  if (previous < modulus) {
    const wrapped = modulus - previous + current;
    if (wrapped <= options.maxPlausible) return { delta: wrapped, kind: 'wrap' };
  }
  return { delta: current, kind: 'reset' };
}
