import type { Reducer, Transducer } from './api.ts';

/**
 * Applies `f` to every input.
 *
 * @example
 * into([], map((x: number) => x * 10), [1, 2, 3]); // [10, 20, 30]
 */
export function map<A, B>(f: (input: A) => B): Transducer<A, B> {
  return <Acc>(rf: Reducer<Acc, B>): Reducer<Acc, A> => {
    const step = rf.step;
    return { init: rf.init, step: (acc, input) => step(acc, f(input)), complete: rf.complete };
  };
}
