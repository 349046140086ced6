import type { Reducer, SideOutput, Transducer } from './api.ts';

/** An input that `tryMap`'s function threw on, with what it threw. */
export interface Failure<A> {
  readonly input: A;
  readonly error: unknown;
}

/**
 * Like `map`, but an input on which `f` throws goes to `failures` (with the error) instead
 * of stopping the pipeline: the dead-letter path. Only `f` is guarded; an error thrown
 * downstream still propagates.
 *
 * @example
 * const dead = sideOutput<Failure<string>>();
 * into([], tryMap((s: string) => JSON.parse(s) as number, dead), ['1', '{', '3']); // [1, 3]
 * dead.items.map((f) => f.input); // ['{']
 */
export function tryMap<A, B>(f: (input: A) => B, failures: SideOutput<Failure<A>>): Transducer<A, B> {
  return <Acc>(rf: Reducer<Acc, B>): Reducer<Acc, A> => {
    const step = rf.step;
    const emit = failures.emit;
    return {
      init: rf.init,
      step: (acc, input) => {
        let out: B;
        try {
          out = f(input);
        } catch (error) {
          emit({ input, error });
          return acc;
        }
        return step(acc, out);
      },
      complete: rf.complete,
    };
  };
}
