import type { Reducer, Transducer } from './api.ts';
import { isReduced, unreduced } from './reduced.ts';

/**
 * Groups consecutive inputs for which `f` gives the same value (`Object.is`); a group is sent
 * when the value changes, the last one on completion.
 *
 * @example
 * into([], partitionBy((x: number) => x > 0), [1, 2, -1, 3]); // [[1, 2], [-1], [3]]
 */
export function partitionBy<A, K>(f: (input: A) => K): Transducer<A, A[]> {
  return <Acc>(rf: Reducer<Acc, A[]>): Reducer<Acc, A> => {
    const step = rf.step;
    let buffer: A[] = [];
    let current: K | undefined;
    return {
      init: rf.init,
      step: (acc, input) => {
        const key = f(input);
        if (buffer.length === 0 || Object.is(key, current)) {
          current = key;
          buffer.push(input);
          return acc;
        }
        const group = buffer;
        buffer = [];
        const r = step(acc, group);
        // Only start the next group if downstream still wants input; otherwise it would
        // be flushed on completion, after `reduced`.
        if (!isReduced(r)) {
          current = key;
          buffer.push(input);
        }
        return r;
      },
      complete: (acc) => {
        if (buffer.length > 0) {
          const group = buffer;
          buffer = [];
          acc = unreduced(step(acc, group));
        }
        current = undefined;
        return rf.complete(acc);
      },
    };
  };
}
