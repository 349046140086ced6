import { describe, expect, it } from 'vitest';
import { dedupe } from './dedupe.ts';
import { into } from './into.ts';

describe('dedupe', () => {
  it('drops consecutive duplicates only', () => {
    expect(into([], dedupe<number>(), [1, 1, 2, 1, 1, 3, 3])).toEqual([1, 2, 1, 3]);
  });
  it('treats NaN as equal to NaN and the first input as new', () => {
    expect(into([], dedupe<number | undefined>(), [undefined, undefined, NaN, NaN])).toEqual([undefined, NaN]);
  });
  it('compares like Object.is: +0 and -0 differ, strings by value', () => {
    const out = into([], dedupe<unknown>(), [0, -0, -0, 0, 'a', 'a', 1, '1']);
    expect(out).toEqual([0, -0, 0, 'a', 1, '1']);
    expect(Object.is(out[1], -0)).toBe(true);
  });
  it('takes an equality', () => {
    const sameId = (a: { id: number }, b: { id: number }) => a.id === b.id;
    expect(into([], dedupe(sameId), [{ id: 1 }, { id: 1 }, { id: 2 }])).toEqual([{ id: 1 }, { id: 2 }]);
  });
  it('starts afresh for each binding', () => {
    const xf = dedupe<number>();
    expect(into([], xf, [1, 1])).toEqual([1]);
    expect(into([], xf, [1, 1])).toEqual([1]);
  });
});
