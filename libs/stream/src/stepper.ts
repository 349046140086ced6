import type { Reducer, Transducer } from './api.ts';
import { Reduced } from './reduced.ts';
import { stepAll } from './step-all.ts';

/** A transducer bound to a reducer, fed one batch at a time (see `stepper`). */
export interface Stepper<Acc, In> {
  /**
   * Feeds a batch and returns the accumulator so far. After `reduced` (`isDone`), batches are
   * ignored. Throws after `complete()`.
   */
  readonly step: (batch: Iterable<In>) => Acc;
  /**
   * Completes the chain (flushing stateful steps) and returns the final accumulator. The chain
   * is completed exactly once: later calls return the same result without completing again,
   * so revoke and shutdown may both call it.
   */
  readonly complete: () => Acc;
  /** A step returned `reduced`: no more input will be taken. */
  readonly isDone: boolean;
  /** `complete()` has run. */
  readonly isCompleted: boolean;
}

/**
 * Binds `xform` to `rf` now (state is created here) and lets a consumer feed it batch by
 * batch. Feeding any split of an input gives the same result as `transduce` on the whole.
 * Call `complete()` on revoke or shutdown, or stateful steps lose their buffered tail.
 *
 * @example
 * const s = stepper(partitionAll<number>(2), toArray());
 * s.step([1, 2, 3]); // [[1, 2]]
 * s.step([4, 5]); // [[1, 2], [3, 4]]
 * s.complete(); // [[1, 2], [3, 4], [5]]
 */
export function stepper<A, B, Acc>(xform: Transducer<A, B>, rf: Reducer<Acc, B>): Stepper<Acc, A>;
export function stepper<A, B, Acc>(xform: Transducer<A, B>, rf: Reducer<Acc, B>, init: Acc): Stepper<Acc, A>;
export function stepper<A, B, Acc>(xform: Transducer<A, B>, rf: Reducer<Acc, B>, ...rest: [] | [Acc]): Stepper<Acc, A> {
  const bound = xform(rf);
  const step = bound.step;
  let acc: Acc = rest.length === 0 ? bound.init() : rest[0];
  let done = false;
  let completed = false;
  return {
    step: (batch) => {
      if (completed) throw new Error('stepper: step() after complete()');
      if (done) return acc;
      const r = stepAll(step, acc, batch);
      if (r instanceof Reduced) {
        done = true;
        acc = r.value;
      } else {
        acc = r;
      }
      return acc;
    },
    complete: () => {
      if (!completed) {
        completed = true;
        acc = bound.complete(acc);
      }
      return acc;
    },
    get isDone() {
      return done;
    },
    get isCompleted() {
      return completed;
    },
  };
}
