import type { Transducer } from './api.ts';
import { toArray } from './reducers.ts';
import { transduce } from './transduce.ts';

/**
 * Transduces `input` onto a copy of `to` and returns the new array (`to` is not modified).
 *
 * @example
 * into([0], map((x: number) => x + 1), [1, 2]); // [0, 2, 3]
 */
export function into<A, B>(to: readonly B[], xform: Transducer<A, B>, input: Iterable<A>): B[] {
  return transduce(xform, toArray<B>(), to.slice(), input);
}
