import type { Reducer, Transducer } from './api.ts';
import { assertCount } from './validate.ts';

/**
 * Skips the first `n` inputs, sends the rest.
 *
 * @example
 * into([], drop<number>(2), [1, 2, 3]); // [3]
 */
export function drop<A>(n: number): Transducer<A, A> {
  assertCount('drop', 'n', n, 0);
  return <Acc>(rf: Reducer<Acc, A>): Reducer<Acc, A> => {
    const step = rf.step;
    let left = n;
    return {
      init: rf.init,
      step: (acc, input) => {
        if (left > 0) {
          left--;
          return acc;
        }
        return step(acc, input);
      },
      complete: rf.complete,
    };
  };
}
