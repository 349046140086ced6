import type { Reducer, Transducer } from './api.ts';
import { ensureReduced } from './reduced.ts';
import { assertCount } from './validate.ts';

/**
 * Sends the first `n` inputs, then returns `reduced` so the driver stops pulling input.
 * With `n = 0` the first input is not sent and the reduction stops.
 *
 * @example
 * into([], take<number>(2), [1, 2, 3]); // [1, 2]
 */
export function take<A>(n: number): Transducer<A, A> {
  assertCount('take', 'n', n, 0);
  return <Acc>(rf: Reducer<Acc, A>): Reducer<Acc, A> => {
    const step = rf.step;
    let left = n; // state lives in the binding, not in the transducer
    return {
      init: rf.init,
      step: (acc, input) => {
        if (left <= 0) return ensureReduced(acc);
        left--;
        const r = step(acc, input);
        return left <= 0 ? ensureReduced(r) : r;
      },
      complete: rf.complete,
    };
  };
}
