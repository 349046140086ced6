import type { Reducer, Transducer } from './api.ts';

/**
 * Sends the running state after each input: `state = f(state, input)`. The state starts from
 * `init()` each time the transducer is bound, so a reused pipeline starts afresh.
 * The initial state itself is not sent.
 *
 * @example
 * into([], scan((total: number, x: number) => total + x, () => 0), [1, 2, 3]); // [1, 3, 6]
 */
export function scan<A, S>(f: (state: S, input: A) => S, init: () => S): Transducer<A, S> {
  return <Acc>(rf: Reducer<Acc, S>): Reducer<Acc, A> => {
    const step = rf.step;
    let state = init();
    return {
      init: rf.init,
      step: (acc, input) => {
        state = f(state, input);
        return step(acc, state);
      },
      complete: rf.complete,
    };
  };
}
