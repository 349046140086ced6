import type { Reducer, Transducer } from './api.ts';
import { Reduced } from './reduced.ts';

/**
 * A reducer that pushes into one shared buffer; drivers drain it after each input.
 * Internal to `sequence` and `sequenceAsync`.
 */
export function bufferReducer<B>(buffer: B[]): Reducer<B[], B> {
  return {
    init: () => buffer,
    step: (acc, input) => {
      acc.push(input);
      return acc;
    },
    complete: (acc) => acc,
  };
}

/**
 * A lazy view of `input` through `xform`: input is pulled only as outputs are asked for.
 * Each iteration binds the transducer afresh. Completion (the flush of stateful steps) runs
 * when the input is exhausted or a step returns `reduced`; a consumer that stops early
 * skips it, and the source iterator is closed.
 *
 * @example
 * const naturals = function* () { for (let i = 0; ; i++) yield i; };
 * [...sequence(comp(filter((x: number) => x % 2 === 1), take<number>(3)), naturals())]; // [1, 3, 5]
 */
export function sequence<A, B>(xform: Transducer<A, B>, input: Iterable<A>): Iterable<B> {
  return {
    [Symbol.iterator]: () => run(xform, input),
  };
}

function* run<A, B>(xform: Transducer<A, B>, input: Iterable<A>): Generator<B, void, undefined> {
  const buffer: B[] = [];
  const bound = xform(bufferReducer(buffer));
  const step = bound.step;
  for (const x of input) {
    const r = step(buffer, x);
    if (buffer.length > 0) yield* drain(buffer);
    if (r instanceof Reduced) break;
  }
  bound.complete(buffer);
  yield* drain(buffer);
}

function* drain<B>(buffer: B[]): Generator<B, void, undefined> {
  // Nothing is pushed while we yield: steps only run between drains.
  for (let i = 0; i < buffer.length; i++) yield buffer[i] as B;
  buffer.length = 0;
}
