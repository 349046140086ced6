import type { Reducer, Transducer } from './api.ts';

/**
 * Applies `f` and keeps the results that are neither `null` nor `undefined`
 * (`0`, `''` and `false` are kept).
 *
 * @example
 * into([], keep((s: string) => (s.length > 1 ? s.length : null)), ['a', 'bb', 'ccc']); // [2, 3]
 */
export function keep<A, B>(f: (input: A) => B | null | undefined): Transducer<A, NonNullable<B>> {
  return <Acc>(rf: Reducer<Acc, NonNullable<B>>): Reducer<Acc, A> => {
    const step = rf.step;
    return {
      init: rf.init,
      step: (acc, input) => {
        const out = f(input);
        return out === null || out === undefined ? acc : step(acc, out);
      },
      complete: rf.complete,
    };
  };
}
