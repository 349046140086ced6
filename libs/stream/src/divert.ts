import type { Reducer, SideOutput, Transducer } from './api.ts';

/**
 * Sends inputs matching `pred` to `sink` instead of downstream; the rest go on. With a type
 * guard, the main chain's type narrows to what is left.
 *
 * @example
 * const negatives = sideOutput<number>();
 * into([], divert((x: number) => x < 0, negatives), [1, -2, 3]); // [1, 3]
 * negatives.items; // [-2]
 */
export function divert<A, D extends A>(
  pred: (input: A) => input is D,
  sink: SideOutput<D>,
): Transducer<A, Exclude<A, D>>;
export function divert<A>(pred: (input: A) => boolean, sink: SideOutput<A>): Transducer<A, A>;
export function divert<A>(pred: (input: A) => boolean, sink: SideOutput<A>): Transducer<A, A> {
  return <Acc>(rf: Reducer<Acc, A>): Reducer<Acc, A> => {
    const step = rf.step;
    const emit = sink.emit;
    return {
      init: rf.init,
      step: (acc, input) => {
        if (!pred(input)) return step(acc, input);
        emit(input);
        return acc;
      },
      complete: rf.complete,
    };
  };
}
