import { describe, expect, it } from 'vitest';
import { map } from './map.ts';
import { count, reducer, sum, toArray } from './reducers.ts';
import { transduce } from './transduce.ts';

describe('reducers', () => {
  it('reducer defaults completion to identity', () => {
    const product = reducer(
      () => 1,
      (acc: number, x: number) => acc * x,
    );
    expect(product.complete(5)).toBe(5);
    expect(
      transduce(
        map((x: number) => x + 1),
        product,
        [1, 2, 3],
      ),
    ).toBe(24);
  });
  it('reducer takes a completion', () => {
    const avg = reducer(
      () => ({ n: 0, total: 0 }),
      (acc, x: number) => ({ n: acc.n + 1, total: acc.total + x }),
      (acc) => ({ ...acc, total: acc.total / acc.n }),
    );
    expect(
      transduce(
        map((x: number) => x),
        avg,
        [1, 2, 3],
      ),
    ).toEqual({ n: 3, total: 2 });
  });
  it('toArray makes a new array per init', () => {
    const rf = toArray<number>();
    expect(rf.init()).not.toBe(rf.init());
  });
  it('sum and count', () => {
    expect(
      transduce(
        map((x: number) => x),
        sum(),
        [1, 2],
      ),
    ).toBe(3);
    expect(
      transduce(
        map((x: string) => x),
        count(),
        ['a', 'b'],
      ),
    ).toBe(2);
  });
});
