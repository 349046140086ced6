import type { Reducer, Transducer } from './api.ts';

/**
 * Drops the inputs for which `pred` is true (the opposite of `filter`).
 *
 * @example
 * into([], remove((x: number) => x > 1), [1, 2, 3]); // [1]
 */
export function remove<A>(pred: (input: A) => boolean): Transducer<A, A> {
  return <Acc>(rf: Reducer<Acc, A>): Reducer<Acc, A> => {
    const step = rf.step;
    return { init: rf.init, step: (acc, input) => (pred(input) ? acc : step(acc, input)), complete: rf.complete };
  };
}
