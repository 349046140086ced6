import type { Reducer, Transducer } from './api.ts';

/**
 * Drops an input equal to the one just before it (consecutive duplicates only; see
 * `distinctBy` for duplicates anywhere). Equality is `Object.is` unless `equals` is given.
 *
 * @example
 * into([], dedupe<number>(), [1, 1, 2, 1, 1]); // [1, 2, 1]
 */
export function dedupe<A>(equals: (previous: A, current: A) => boolean = sameValue): Transducer<A, A> {
  return <Acc>(rf: Reducer<Acc, A>): Reducer<Acc, A> => {
    const step = rf.step;
    let started = false;
    let previous: A | undefined;
    return {
      init: rf.init,
      step: (acc, input) => {
        // Like Clojure, compare with the input just before, sent or not.
        let duplicate = false;
        if (started) duplicate = equals(previous as A, input);
        else started = true; // written once, not on every input
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

/**
 * `Object.is`, written out: a plain function V8 inlines and specialises for the types it sees
 * (numbers here compile to a compare), where the builtin stays a generic SameValue call.
 */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return a !== 0 || 1 / (a as number) === 1 / (b as number); // +0 is not -0
  return a !== a && b !== b; // NaN is NaN
}
