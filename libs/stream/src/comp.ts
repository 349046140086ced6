import type { Reducer, Transducer } from './api.ts';

type AnyReducer = Reducer<unknown, unknown>;
type AnyTransducer = (rf: AnyReducer) => AnyReducer;

/**
 * Composes transducers left to right in data order: `comp(f, g)` runs `f` first, then `g`.
 * Typed overloads up to ten steps let the types flow through the chain; nest `comp` for more.
 *
 * @example
 * into([], comp(map((x: number) => x + 1), filter((x) => x % 2 === 0)), [1, 2, 3]); // [2, 4]
 */
export function comp<A>(): Transducer<A, A>;
export function comp<A, B>(a: Transducer<A, B>): Transducer<A, B>;
export function comp<A, B, C>(a: Transducer<A, B>, b: Transducer<B, C>): Transducer<A, C>;
export function comp<A, B, C, D>(a: Transducer<A, B>, b: Transducer<B, C>, c: Transducer<C, D>): Transducer<A, D>;
export function comp<A, B, C, D, E>(
  a: Transducer<A, B>,
  b: Transducer<B, C>,
  c: Transducer<C, D>,
  d: Transducer<D, E>,
): Transducer<A, E>;
export function comp<A, B, C, D, E, F>(
  a: Transducer<A, B>,
  b: Transducer<B, C>,
  c: Transducer<C, D>,
  d: Transducer<D, E>,
  e: Transducer<E, F>,
): Transducer<A, F>;
export function comp<A, B, C, D, E, F, G>(
  a: Transducer<A, B>,
  b: Transducer<B, C>,
  c: Transducer<C, D>,
  d: Transducer<D, E>,
  e: Transducer<E, F>,
  f: Transducer<F, G>,
): Transducer<A, G>;
export function comp<A, B, C, D, E, F, G, H>(
  a: Transducer<A, B>,
  b: Transducer<B, C>,
  c: Transducer<C, D>,
  d: Transducer<D, E>,
  e: Transducer<E, F>,
  f: Transducer<F, G>,
  g: Transducer<G, H>,
): Transducer<A, H>;
export function comp<A, B, C, D, E, F, G, H, I>(
  a: Transducer<A, B>,
  b: Transducer<B, C>,
  c: Transducer<C, D>,
  d: Transducer<D, E>,
  e: Transducer<E, F>,
  f: Transducer<F, G>,
  g: Transducer<G, H>,
  h: Transducer<H, I>,
): Transducer<A, I>;
export function comp<A, B, C, D, E, F, G, H, I, J>(
  a: Transducer<A, B>,
  b: Transducer<B, C>,
  c: Transducer<C, D>,
  d: Transducer<D, E>,
  e: Transducer<E, F>,
  f: Transducer<F, G>,
  g: Transducer<G, H>,
  h: Transducer<H, I>,
  i: Transducer<I, J>,
): Transducer<A, J>;
export function comp<A, B, C, D, E, F, G, H, I, J, K>(
  a: Transducer<A, B>,
  b: Transducer<B, C>,
  c: Transducer<C, D>,
  d: Transducer<D, E>,
  e: Transducer<E, F>,
  f: Transducer<F, G>,
  g: Transducer<G, H>,
  h: Transducer<H, I>,
  i: Transducer<I, J>,
  j: Transducer<J, K>,
): Transducer<A, K>;
export function comp(...xforms: Transducer<never, unknown>[]): Transducer<never, unknown> {
  const fs = xforms as unknown as AnyTransducer[];
  const composed: AnyTransducer = (rf) => {
    // Bind from the last step backwards, so the first step ends up outermost.
    let r = rf;
    for (let i = fs.length - 1; i >= 0; i--) r = (fs[i] as AnyTransducer)(r);
    return r;
  };
  return composed as unknown as Transducer<never, unknown>;
}
