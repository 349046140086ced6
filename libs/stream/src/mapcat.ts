import type { Reducer, Transducer } from './api.ts';
import { stepAll } from './step-all.ts';

/**
 * Maps each input to an iterable and sends its elements one by one. Stops in the middle of
 * an inner iterable as soon as downstream returns `reduced`, and passes the box on.
 *
 * @example
 * into([], mapcat((x: number) => [x, x * 10]), [1, 2]); // [1, 10, 2, 20]
 */
export function mapcat<A, B>(f: (input: A) => Iterable<B>): Transducer<A, B> {
  return <Acc>(rf: Reducer<Acc, B>): Reducer<Acc, A> => {
    const step = rf.step;
    return { init: rf.init, step: (acc, input) => stepAll(step, acc, f(input)), complete: rf.complete };
  };
}
