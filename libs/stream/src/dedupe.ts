import type { Reducer, Transducer } from './api.ts';

/**
 * Drops an input equal to the one just before it (consecutive duplicates only; see
 * `distinctBy` for duplicates anywhere). Equality is `Object.is` unless `equals` is given.
 *
 * @example
 * into([], dedupe<number>(), [1, 1, 2, 1, 1]); // [1, 2, 1]
 */
export function dedupe<A>(equals: (previous: A, current: A) => boolean = Object.is): Transducer<A, A> {
  return <Acc>(rf: Reducer<Acc, A>): Reducer<Acc, A> => {
    const step = rf.step;
    let started = false;
    let previous: A | undefined;
    return {
      init: rf.init,
      step: (acc, input) => {
        // Like Clojure, compare with the input just before, sent or not.
        const duplicate = started && equals(previous as A, input);
        started = true;
        previous = input;
        return duplicate ? acc : step(acc, input);
      },
      complete: (acc) => {
        previous = undefined; // let go of the last input
        return rf.complete(acc);
      },
    };
  };
}
