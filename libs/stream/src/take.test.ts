import { describe, expect, it } from 'vitest';
import { comp } from './comp.ts';
import { into } from './into.ts';
import { map } from './map.ts';
import { take } from './take.ts';
import { tracked } from './test-support.ts';

describe('take', () => {
  it('takes the first n', () => {
    expect(into([], take<number>(2), [1, 2, 3])).toEqual([1, 2]);
    expect(into([], take<number>(5), [1, 2])).toEqual([1, 2]);
  });
  it('stops pulling input as soon as it has n', () => {
    const input = tracked([1, 2, 3, 4]);
    expect(into([], take<number>(2), input)).toEqual([1, 2]);
    expect(input.pulled).toBe(2);
    expect(input.closed).toBe(true);
  });
  it('take(0) sends nothing and stops at the first input', () => {
    const input = tracked([1, 2]);
    expect(into([], take<number>(0), input)).toEqual([]);
    expect(input.pulled).toBe(1);
  });
  it('keeps its count per binding, so a pipeline is reusable', () => {
    const xf = comp(
      map((x: number) => x + 1),
      take<number>(2),
    );
    expect(into([], xf, [1, 2, 3])).toEqual([2, 3]);
    expect(into([], xf, [1, 2, 3])).toEqual([2, 3]);
  });
  it('rejects a bad n', () => {
    expect(() => take(-1)).toThrow(RangeError);
    expect(() => take(1.5)).toThrow(RangeError);
  });
});
