import { unsafeUniformIntDistribution, xoroshiro128plus, type RandomGenerator } from 'pure-rand';

/**
 * Mixes integers into one 32-bit seed (murmur3 finalizer per step), so every (fleet, instance, window)
 * gets its own independent generator and any slice of time can be generated without replaying the past.
 *
 * @example
 * mixSeed(42, 7, 1000) === mixSeed(42, 7, 1000);
 */
export function mixSeed(...parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    // Split into 32-bit halves so large window indexes and seeds keep all their bits.
    for (const word of [part % 0x1_0000_0000, Math.floor(part / 0x1_0000_0000)]) {
      h = Math.imul(h ^ (word >>> 0), 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
    }
  }
  return h | 0;
}

/**
 * A mutable view over a pure-rand generator, private to one computation: callers never share it, so
 * determinism holds while avoiding an allocation per draw.
 */
export class Draw {
  readonly #rng: RandomGenerator;

  constructor(seed: number) {
    this.#rng = xoroshiro128plus(seed);
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return unsafeUniformIntDistribution(min, max, this.#rng);
  }

  /** True with probability `perMillion` / 1e6; integer arithmetic keeps it identical on every platform. */
  chance(perMillion: number): boolean {
    return this.int(0, 999_999) < perMillion;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)];
    if (item === undefined) throw new RangeError('cannot pick from an empty list');
    return item;
  }
}

/**
 * A generator for one purpose, derived from a seed and keys.
 *
 * @example
 * const draw = drawFor(fleet.seed, instance.index, windowIndex);
 * draw.int(1, 6);
 */
export function drawFor(seed: number, ...keys: readonly number[]): Draw {
  return new Draw(mixSeed(seed, ...keys));
}

/** A fraction 0..1 as an integer parts-per-million, validated once at the edge. */
export function perMillion(fraction: number): number {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`fraction must be within [0, 1]: ${fraction}`);
  return Math.round(fraction * 1_000_000);
}
