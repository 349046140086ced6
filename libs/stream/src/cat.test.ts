import { describe, expect, it } from 'vitest';
import { cat } from './cat.ts';
import { comp } from './comp.ts';
import { into } from './into.ts';
import { partitionAll } from './partition-all.ts';
import { take } from './take.ts';
import { probe, tracked } from './test-support.ts';

describe('cat', () => {
  it('flattens one level', () => {
    expect(into([], cat<number>(), [[1, 2], [], [3]])).toEqual([1, 2, 3]);
  });
  it('flattens any iterable', () => {
    expect(into([], cat<string>(), ['ab', new Set(['c'])])).toEqual(['a', 'b', 'c']);
  });
  it('sends nothing after reduced, even inside one inner iterable', () => {
    const inner = tracked([1, 2, 3]);
    expect(into([], comp(cat<number>(), probe(), take<number>(2), probe()), [inner, [4]])).toEqual([1, 2]);
    expect(inner.pulled).toBe(2);
    expect(inner.closed).toBe(true);
  });
  it('undoes partitionAll', () => {
    expect(into([], comp(partitionAll<number>(2), cat()), [1, 2, 3])).toEqual([1, 2, 3]);
  });
});
