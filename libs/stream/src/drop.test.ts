import { describe, expect, it } from 'vitest';
import { drop } from './drop.ts';
import { into } from './into.ts';

describe('drop', () => {
  it('skips the first n', () => {
    expect(into([], drop<number>(2), [1, 2, 3])).toEqual([3]);
    expect(into([], drop<number>(0), [1])).toEqual([1]);
    expect(into([], drop<number>(5), [1, 2])).toEqual([]);
  });
  it('counts per binding', () => {
    const xf = drop<number>(1);
    expect(into([], xf, [1, 2])).toEqual([2]);
    expect(into([], xf, [1, 2])).toEqual([2]);
  });
  it('rejects a bad n', () => {
    expect(() => drop(-1)).toThrow(RangeError);
  });
});
