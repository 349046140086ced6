import { drawFor, perMillion } from './seeded-random.ts';

export interface LateArrivalOptions {
  readonly seed: number;
  /** Fraction 0..1 of records that arrive late. */
  readonly fraction: number;
  /** How far behind in event time: a late record comes once the stream has reached its window start + delay. */
  readonly delayMs: number;
}

/**
 * Delays a fraction of records by `delayMs` of event time (an agent whose sends were stuck). A delayed record is
 * released before the first record whose window start is at least its own plus the delay; the rest come at the
 * end. Released in the order they were held. Lazy; deterministic from the seed.
 *
 * @example
 * injectLateArrivals(samples, { seed: 3, fraction: 0.01, delayMs: 2 * 3_600_000 });
 */
export function* injectLateArrivals<T extends { readonly windowStart: number }>(
  records: Iterable<T>,
  options: LateArrivalOptions,
): Generator<T, void, undefined> {
  const threshold = perMillion(options.fraction);
  const draw = drawFor(options.seed, 0x1a7e);
  const held: { readonly releaseAt: number; readonly record: T }[] = [];
  let head = 0;
  let watermark = Number.NEGATIVE_INFINITY;
  for (const record of records) {
    watermark = Math.max(watermark, record.windowStart);
    while (head < held.length && (held[head]?.releaseAt ?? Infinity) <= watermark) {
      yield (held[head] as { record: T }).record;
      head += 1;
    }
    // Compact now and then so a long stream does not keep released entries alive.
    if (head > 1024 && head * 2 > held.length) {
      held.splice(0, head);
      head = 0;
    }
    if (draw.chance(threshold)) held.push({ releaseAt: record.windowStart + options.delayMs, record });
    else yield record;
  }
  for (let i = head; i < held.length; i += 1) yield (held[i] as { record: T }).record;
}
