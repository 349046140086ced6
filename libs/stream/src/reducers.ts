import type { Reducer, Step } from './api.ts';

/**
 * Builds a reducer from its parts; `complete` defaults to identity (Clojure's `completing`).
 *
 * @example
 * const product = reducer(() => 1, (acc: number, x: number) => acc * x);
 * transduce(map((x: number) => x + 1), product, [1, 2, 3]); // 24
 */
export function reducer<Acc, In>(
  init: () => Acc,
  step: (acc: Acc, input: In) => Step<Acc>,
  complete: (acc: Acc) => Acc = identity,
): Reducer<Acc, In> {
  return { init, step, complete };
}

function identity<T>(x: T): T {
  return x;
}

/**
 * Collects inputs into an array (a new one per `init`).
 *
 * @example
 * transduce(map((x: number) => x + 1), toArray<number>(), [1, 2]); // [2, 3]
 */
export function toArray<T>(): Reducer<T[], T> {
  return {
    init: () => [],
    step: (acc, input) => {
      acc.push(input);
      return acc;
    },
    complete: identity,
  };
}

/**
 * Adds numbers up, starting from 0.
 *
 * @example
 * transduce(filter((x: number) => x > 1), sum(), [1, 2, 3]); // 5
 */
export function sum(): Reducer<number, number> {
  return { init: () => 0, step: (acc, input) => acc + input, complete: identity };
}

/**
 * Counts inputs.
 *
 * @example
 * transduce(filter((x: number) => x > 1), count(), [1, 2, 3]); // 2
 */
export function count<T = unknown>(): Reducer<number, T> {
  return { init: () => 0, step: (acc) => acc + 1, complete: identity };
}
