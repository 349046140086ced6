import type { Reducer, Transducer } from './api.ts';

/**
 * Skips inputs while `pred` holds; from the first input that fails it, sends everything.
 *
 * @example
 * into([], dropWhile((x: number) => x < 3), [1, 2, 3, 1]); // [3, 1]
 */
export function dropWhile<A>(pred: (input: A) => boolean): Transducer<A, A> {
  return <Acc>(rf: Reducer<Acc, A>): Reducer<Acc, A> => {
    const step = rf.step;
    let dropping = true;
    return {
      init: rf.init,
      step: (acc, input) => {
        if (dropping) {
          if (pred(input)) return acc;
          dropping = false;
        }
        return step(acc, input);
      },
      complete: rf.complete,
    };
  };
}
