import { describe, expect, it } from 'vitest';
import { comp } from './comp.ts';
import { map } from './map.ts';
import { partitionAll } from './partition-all.ts';
import { sum, toArray } from './reducers.ts';
import { stepper } from './stepper.ts';
import { take } from './take.ts';
import { recorder } from './test-support.ts';

describe('stepper', () => {
  it('feeds batches and completes at the end', () => {
    const s = stepper(partitionAll<number>(2), toArray<number[]>());
    expect(s.step([1, 2, 3])).toEqual([[1, 2]]);
    expect(s.step([4, 5])).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(s.complete()).toEqual([[1, 2], [3, 4], [5]]);
    expect(s.isCompleted).toBe(true);
  });
  it('takes an init', () => {
    const s = stepper(
      map((x: number) => x),
      sum(),
      10,
    );
    s.step([1]);
    expect(s.complete()).toBe(11);
  });
  it('is done after reduced and ignores later batches', () => {
    const s = stepper(take<number>(2), toArray<number>());
    s.step([1]);
    expect(s.isDone).toBe(false);
    s.step([2, 3]);
    expect(s.isDone).toBe(true);
    expect(s.step([4])).toEqual([1, 2]);
    expect(s.complete()).toEqual([1, 2]);
  });
  it('completes the chain exactly once; later calls return the same result', () => {
    const rf = recorder<number[]>();
    const s = stepper(partitionAll<number>(5), rf);
    s.step([1]);
    const first = s.complete();
    expect(s.complete()).toBe(first);
    expect(rf.calls).toEqual(['step:[1]', 'complete']);
  });
  it('refuses input after completion', () => {
    const s = stepper(
      map((x: number) => x),
      sum(),
    );
    s.complete();
    expect(() => s.step([1])).toThrow(/after complete/);
  });
  it('creates state when bound: two steppers from one pipeline do not share it', () => {
    const xf = comp(take<number>(1), partitionAll<number>(2));
    const a = stepper(xf, toArray<number[]>());
    const b = stepper(xf, toArray<number[]>());
    a.step([1]);
    b.step([2]);
    expect(a.complete()).toEqual([[1]]);
    expect(b.complete()).toEqual([[2]]);
  });
});
