import type { Reducer, Transducer } from './api.ts';
import { unreduced } from './reduced.ts';
import { assertCount } from './validate.ts';

/**
 * Groups inputs into arrays of `size`; completion sends the last, shorter group if any.
 * Every group is a new array, so downstream may keep it.
 *
 * @example
 * into([], partitionAll<number>(2), [1, 2, 3, 4, 5]); // [[1, 2], [3, 4], [5]]
 */
export function partitionAll<A>(size: number): Transducer<A, A[]> {
  assertCount('partitionAll', 'size', size, 1);
  if (size === Infinity) throw new RangeError('partitionAll: size must be finite');
  return <Acc>(rf: Reducer<Acc, A[]>): Reducer<Acc, A> => {
    const step = rf.step;
    let buffer: A[] = [];
    return {
      init: rf.init,
      step: (acc, input) => {
        buffer.push(input);
        if (buffer.length < size) return acc;
        const group = buffer;
        buffer = []; // clear before sending: if downstream stops, nothing is left to flush
        return step(acc, group);
      },
      complete: (acc) => {
        if (buffer.length > 0) {
          const group = buffer;
          buffer = []; // clear, then flush, then complete downstream
          acc = unreduced(step(acc, group));
        }
        return rf.complete(acc);
      },
    };
  };
}
