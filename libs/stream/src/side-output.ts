import type { SideOutput } from './api.ts';

/** A side output that keeps what it receives until the caller drains it. */
export interface CollectedSideOutput<T> extends SideOutput<T> {
  /** What was emitted since the last `drain()`, in order. */
  readonly items: readonly T[];
  /** Returns what was emitted since the last drain and empties the collector. */
  readonly drain: () => T[];
}

/**
 * Makes a side output that collects records in memory. A consumer drains it after each batch
 * and ships the records (dead-letter topic, late-data topic) with that batch's results.
 *
 * @example
 * const rejected = sideOutput<number>();
 * into([], divert((x: number) => x < 0, rejected), [1, -2, 3]); // [1, 3]
 * rejected.drain(); // [-2]
 */
export function sideOutput<T>(): CollectedSideOutput<T> {
  let items: T[] = [];
  return {
    emit: (record) => {
      items.push(record);
    },
    get items() {
      return items;
    },
    drain: () => {
      const out = items;
      items = [];
      return out;
    },
  };
}
