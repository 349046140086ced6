import type { Reducer, Transducer } from './api.ts';

/**
 * Keeps the inputs for which `pred` is true. A type guard narrows the output type.
 *
 * @example
 * into([], filter((x: number) => x > 1), [1, 2, 3]); // [2, 3]
 */
export function filter<A, B extends A>(pred: (input: A) => input is B): Transducer<A, B>;
export function filter<A>(pred: (input: A) => boolean): Transducer<A, A>;
export function filter<A>(pred: (input: A) => boolean): Transducer<A, A> {
  return <Acc>(rf: Reducer<Acc, A>): Reducer<Acc, A> => {
    const step = rf.step;
    return { init: rf.init, step: (acc, input) => (pred(input) ? step(acc, input) : acc), complete: rf.complete };
  };
}
