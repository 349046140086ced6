import type { Reducer, Transducer } from './api.ts';
import { stepAll } from './step-all.ts';

/**
 * Flattens iterables one level. Like `mapcat`, it stops mid-iterable on `reduced`.
 *
 * @example
 * into([], cat<number>(), [[1, 2], [], [3]]); // [1, 2, 3]
 */
export function cat<A>(): Transducer<Iterable<A>, A> {
  return <Acc>(rf: Reducer<Acc, A>): Reducer<Acc, Iterable<A>> => {
    const step = rf.step;
    return { init: rf.init, step: (acc, input) => stepAll(step, acc, input), complete: rf.complete };
  };
}
