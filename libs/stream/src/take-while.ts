import type { Reducer, Transducer } from './api.ts';
import { reduced } from './reduced.ts';

/**
 * Sends inputs while `pred` holds; the first input that fails it is not sent and stops the reduction.
 *
 * @example
 * into([], takeWhile((x: number) => x < 3), [1, 2, 3, 1]); // [1, 2]
 */
export function takeWhile<A>(pred: (input: A) => boolean): Transducer<A, A> {
  return <Acc>(rf: Reducer<Acc, A>): Reducer<Acc, A> => {
    const step = rf.step;
    return {
      init: rf.init,
      step: (acc, input) => (pred(input) ? step(acc, input) : reduced(acc)),
      complete: rf.complete,
    };
  };
}
