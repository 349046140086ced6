import type { Step } from './api.ts';
import { Reduced } from './reduced.ts';

/**
 * Feeds every element of `input` to `step`, stopping at the first `reduced`, which it returns
 * still boxed so the caller knows the reduction is over. Internal: the hot loop of every driver.
 * Arrays and typed arrays are walked by index (no iterator, no allocation); anything else by
 * the iterator protocol, whose `return()` runs if we stop early.
 */
export function stepAll<Acc, A>(step: (acc: Acc, input: A) => Step<Acc>, acc: Acc, input: Iterable<A>): Step<Acc> {
  if (Array.isArray(input) || ArrayBuffer.isView(input)) {
    const xs = input as unknown as ArrayLike<A>;
    const n = xs.length;
    for (let i = 0; i < n; i++) {
      const r = step(acc, xs[i] as A);
      if (r instanceof Reduced) return r;
      acc = r;
    }
    return acc;
  }
  for (const x of input) {
    const r = step(acc, x);
    if (r instanceof Reduced) return r;
    acc = r;
  }
  return acc;
}
