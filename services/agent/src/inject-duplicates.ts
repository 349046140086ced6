import { drawFor, perMillion } from './seeded-random.ts';

export interface DuplicateOptions {
  readonly seed: number;
  /** Fraction 0..1 of records that are sent a second time. */
  readonly fraction: number;
  /** The copy follows after 1..maxDelay further records (an agent resending after a lost ack). */
  readonly maxDelay: number;
}

/**
 * Resends a fraction of the records later in the stream, as agents do when an ack is lost. Lazy; holds at most
 * the copies not yet due; copies still waiting when the input ends come last. Deterministic from the seed.
 *
 * @example
 * injectDuplicates(samples, { seed: 1, fraction: 0.05, maxDelay: 1000 });
 */
export function* injectDuplicates<T>(records: Iterable<T>, options: DuplicateOptions): Generator<T, void, undefined> {
  if (!Number.isInteger(options.maxDelay) || options.maxDelay < 1) throw new RangeError('maxDelay must be >= 1');
  const threshold = perMillion(options.fraction);
  const draw = drawFor(options.seed, 0xd0b);
  // Copies due at a position; positions increase, so a plain map drained in order is enough.
  const due = new Map<number, T[]>();
  let position = 0;
  for (const record of records) {
    yield record;
    if (draw.chance(threshold)) {
      const at = position + draw.int(1, options.maxDelay);
      const copies = due.get(at);
      if (copies === undefined) due.set(at, [record]);
      else copies.push(record);
    }
    position += 1;
    const ready = due.get(position);
    if (ready !== undefined) {
      due.delete(position);
      yield* ready;
    }
  }
  for (const at of [...due.keys()].sort((a, b) => a - b)) yield* due.get(at) ?? [];
}
