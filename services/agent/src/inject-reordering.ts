import { drawFor } from './seeded-random.ts';

export interface ReorderOptions {
  readonly seed: number;
  /** Records are shuffled within consecutive blocks of this many, so none moves by k or more. */
  readonly window: number;
}

/**
 * Bounded reordering: a Fisher–Yates shuffle of each block of `window` records. Lazy, holds one block.
 *
 * @example
 * [...injectReordering([1, 2, 3, 4], { seed: 7, window: 2 })]; // e.g. [2, 1, 3, 4]
 */
export function* injectReordering<T>(records: Iterable<T>, options: ReorderOptions): Generator<T, void, undefined> {
  if (!Number.isInteger(options.window) || options.window < 1) throw new RangeError('window must be >= 1');
  const draw = drawFor(options.seed, 0x5f1);
  let block: T[] = [];
  const shuffled = function* (items: T[]): Generator<T, void, undefined> {
    for (let i = items.length - 1; i > 0; i -= 1) {
      const j = draw.int(0, i);
      const a = items[i] as T;
      items[i] = items[j] as T;
      items[j] = a;
    }
    yield* items;
  };
  for (const record of records) {
    block.push(record);
    if (block.length === options.window) {
      yield* shuffled(block);
      block = [];
    }
  }
  yield* shuffled(block);
}
