import type { Reducer, Transducer } from './api.ts';
import { Reduced } from './reduced.ts';
import { stepAll } from './step-all.ts';

/**
 * Binds `xform` to `rf` (fresh state), folds every input, stops at the first `reduced`,
 * and completes exactly once. Without `init`, the accumulator comes from `rf.init()`.
 *
 * @example
 * transduce(map((x: number) => x * 2), sum(), [1, 2, 3]); // 12
 * transduce(take<number>(2), sum(), 100, [1, 2, 3]); // 103
 */
export function transduce<A, B, Acc>(xform: Transducer<A, B>, rf: Reducer<Acc, B>, input: Iterable<A>): Acc;
export function transduce<A, B, Acc>(xform: Transducer<A, B>, rf: Reducer<Acc, B>, init: Acc, input: Iterable<A>): Acc;
export function transduce<A, B, Acc>(
  xform: Transducer<A, B>,
  rf: Reducer<Acc, B>,
  ...rest: [Iterable<A>] | [Acc, Iterable<A>]
): Acc {
  const bound = xform(rf);
  let acc: Acc;
  let input: Iterable<A>;
  if (rest.length === 1) {
    acc = bound.init();
    input = rest[0];
  } else {
    acc = rest[0];
    input = rest[1];
  }
  const r = stepAll(bound.step, acc, input);
  return bound.complete(r instanceof Reduced ? r.value : r);
}

/**
 * Folds `input` with a plain reducer (no transducer), honouring `reduced` and completion.
 *
 * @example
 * reduce(sum(), [1, 2, 3]); // 6
 */
export function reduce<Acc, A>(rf: Reducer<Acc, A>, input: Iterable<A>): Acc;
export function reduce<Acc, A>(rf: Reducer<Acc, A>, init: Acc, input: Iterable<A>): Acc;
export function reduce<Acc, A>(rf: Reducer<Acc, A>, ...rest: [Iterable<A>] | [Acc, Iterable<A>]): Acc {
  const acc = rest.length === 1 ? rf.init() : rest[0];
  const input = rest.length === 1 ? rest[0] : rest[1];
  const r = stepAll(rf.step, acc, input);
  return rf.complete(r instanceof Reduced ? r.value : r);
}
