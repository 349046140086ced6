import { describe, expect, it } from 'vitest';
import { comp } from './comp.ts';
import { into } from './into.ts';
import { partitionAll } from './partition-all.ts';
import { take } from './take.ts';
import { recorder } from './test-support.ts';

describe('partitionAll', () => {
  it('groups by size and flushes the tail on completion', () => {
    expect(into([], partitionAll<number>(2), [1, 2, 3, 4, 5])).toEqual([[1, 2], [3, 4], [5]]);
    expect(into([], partitionAll<number>(2), [1, 2])).toEqual([[1, 2]]);
    expect(into([], partitionAll<number>(2), [])).toEqual([]);
  });
  it('flushes, then completes downstream, once', () => {
    const rf = recorder<number[]>();
    const bound = partitionAll<number>(2)(rf);
    let acc = rf.init();
    for (const x of [1, 2, 3]) acc = bound.step(acc, x) as string[];
    bound.complete(acc);
    expect(rf.calls).toEqual(['step:[1,2]', 'step:[3]', 'complete']);
  });
  it('clears its buffer before flushing, so a second completion sends no tail again', () => {
    const rf = recorder<number[]>();
    const bound = partitionAll<number>(3)(rf);
    bound.complete(bound.step(rf.init(), 1) as string[]);
    bound.complete(rf.calls);
    expect(rf.calls).toEqual(['step:[1]', 'complete', 'complete']);
  });
  it('stops when downstream stops and sends nothing on completion', () => {
    expect(into([], comp(partitionAll<number>(2), take<number[]>(1)), [1, 2, 3])).toEqual([[1, 2]]);
  });
  it('has a buffer per binding', () => {
    const xf = partitionAll<number>(2);
    expect(into([], xf, [1])).toEqual([[1]]);
    expect(into([], xf, [2])).toEqual([[2]]);
  });
  it('rejects a bad size', () => {
    expect(() => partitionAll(0)).toThrow(RangeError);
  });
});
