import { describe, expect, it } from 'vitest';
import { comp } from './comp.ts';
import { map } from './map.ts';
import { partitionAll } from './partition-all.ts';
import { reduced } from './reduced.ts';
import { count, reducer, sum, toArray } from './reducers.ts';
import { take } from './take.ts';
import { recorder, tracked } from './test-support.ts';
import { reduce, transduce } from './transduce.ts';

describe('transduce', () => {
  it('uses the reducer init when no init is given', () => {
    expect(
      transduce(
        map((x: number) => x * 2),
        sum(),
        [1, 2, 3],
      ),
    ).toBe(12);
  });
  it('takes an explicit init', () => {
    expect(transduce(take<number>(2), sum(), 100, [1, 2, 3])).toBe(103);
  });
  it('walks arrays, typed arrays and other iterables alike', () => {
    const xf = map((x: number) => x + 1);
    expect(transduce(xf, toArray<number>(), [1, 2])).toEqual([2, 3]);
    expect(transduce(xf, toArray<number>(), new Float64Array([1, 2]))).toEqual([2, 3]);
    expect(transduce(xf, toArray<number>(), new Set([1, 2]))).toEqual([2, 3]);
    expect(transduce(xf, toArray<number>(), tracked([1, 2]))).toEqual([2, 3]);
  });
  it('completes exactly once, after the steps, and unwraps reduced before completion', () => {
    const rf = recorder<number[]>();
    const out = transduce(comp(partitionAll<number>(2), take<number[]>(1)), rf, [1, 2, 3]);
    expect(out).toBe(rf.calls);
    expect(rf.calls).toEqual(['step:[1,2]', 'complete']);
  });
  it('completes once on empty input', () => {
    const rf = recorder<number>();
    transduce(
      map((x: number) => x),
      rf,
      [],
    );
    expect(rf.calls).toEqual(['complete']);
  });
  it('stops when the reducer itself returns reduced', () => {
    const firstOver = reducer(
      () => -1,
      (_acc: number, x: number) => (x > 10 ? reduced(x) : -1),
    );
    const input = tracked([1, 20, 30]);
    expect(
      transduce(
        map((x: number) => x),
        firstOver,
        input,
      ),
    ).toBe(20);
    expect(input.pulled).toBe(2);
  });
  it('runs the same composed pipeline many times with fresh state', () => {
    const xf = comp(take<number>(2), partitionAll<number>(2));
    expect(transduce(xf, toArray<number[]>(), [1, 2, 3])).toEqual([[1, 2]]);
    expect(transduce(xf, toArray<number[]>(), [4, 5, 6])).toEqual([[4, 5]]);
  });
  it('reduce folds without a transducer', () => {
    expect(reduce(sum(), [1, 2, 3])).toBe(6);
    expect(reduce(count(), 10, ['a'])).toBe(11);
  });
});
