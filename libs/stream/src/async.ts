import type { Reducer, Transducer } from './api.ts';
import { Reduced } from './reduced.ts';
import { bufferReducer } from './sequence.ts';

/**
 * `transduce` over an async (or sync) iterable: same life cycle, same `reduced` rule.
 * Stopping early closes the source (its `return()` runs).
 *
 * @example
 * async function* source() { yield 1; yield 2; yield 3; }
 * await transduceAsync(map((x: number) => x * 2), sum(), source()); // 12
 */
export async function transduceAsync<A, B, Acc>(
  xform: Transducer<A, B>,
  rf: Reducer<Acc, B>,
  input: AsyncIterable<A> | Iterable<A>,
): Promise<Acc>;
export async function transduceAsync<A, B, Acc>(
  xform: Transducer<A, B>,
  rf: Reducer<Acc, B>,
  init: Acc,
  input: AsyncIterable<A> | Iterable<A>,
): Promise<Acc>;
export async function transduceAsync<A, B, Acc>(
  xform: Transducer<A, B>,
  rf: Reducer<Acc, B>,
  ...rest: [AsyncIterable<A> | Iterable<A>] | [Acc, AsyncIterable<A> | Iterable<A>]
): Promise<Acc> {
  const bound = xform(rf);
  const step = bound.step;
  let acc: Acc = rest.length === 1 ? bound.init() : rest[0];
  const input = rest.length === 1 ? rest[0] : rest[1];
  for await (const x of input) {
    const r = step(acc, x);
    if (r instanceof Reduced) {
      acc = r.value;
      break;
    }
    acc = r;
  }
  return bound.complete(acc);
}

/**
 * The lazy async counterpart of `sequence`: an async iterable of outputs, pulling input only
 * as outputs are asked for.
 *
 * @example
 * async function* source() { yield 1; yield 2; yield 3; }
 * const out: number[] = [];
 * for await (const x of sequenceAsync(partitionAll<number>(2), source())) out.push(x.length);
 * out; // [2, 1]
 */
export function sequenceAsync<A, B>(xform: Transducer<A, B>, input: AsyncIterable<A> | Iterable<A>): AsyncIterable<B> {
  return {
    [Symbol.asyncIterator]: () => runAsync(xform, input),
  };
}

async function* runAsync<A, B>(
  xform: Transducer<A, B>,
  input: AsyncIterable<A> | Iterable<A>,
): AsyncGenerator<B, void, undefined> {
  const buffer: B[] = [];
  const bound = xform(bufferReducer(buffer));
  const step = bound.step;
  for await (const x of input) {
    const r = step(buffer, x);
    if (buffer.length > 0) yield* drain(buffer);
    if (r instanceof Reduced) break;
  }
  bound.complete(buffer);
  yield* drain(buffer);
}

function* drain<B>(buffer: B[]): Generator<B, void, undefined> {
  for (let i = 0; i < buffer.length; i++) yield buffer[i] as B;
  buffer.length = 0;
}
