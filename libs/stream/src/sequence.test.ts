import { describe, expect, it } from 'vitest';
import { comp } from './comp.ts';
import { filter } from './filter.ts';
import { map } from './map.ts';
import { partitionAll } from './partition-all.ts';
import { sequence } from './sequence.ts';
import { take } from './take.ts';
import { tracked } from './test-support.ts';

function* naturals(): Generator<number, never, undefined> {
  for (let i = 0; ; i++) yield i;
}

describe('sequence', () => {
  it('is lazy: works on an infinite input', () => {
    const odd = comp(
      filter((x: number) => x % 2 === 1),
      take<number>(3),
    );
    expect([...sequence(odd, naturals())]).toEqual([1, 3, 5]);
  });
  it('pulls input only as outputs are asked for', () => {
    const input = tracked([1, 2, 3, 4]);
    const it = sequence(
      map((x: number) => x * 10),
      input,
    )[Symbol.iterator]();
    expect(it.next()).toEqual({ value: 10, done: false });
    expect(input.pulled).toBe(1);
    it.return?.();
    expect(input.closed).toBe(true);
  });
  it('flushes stateful steps at the end of input', () => {
    expect([...sequence(partitionAll<number>(2), [1, 2, 3])]).toEqual([[1, 2], [3]]);
  });
  it('binds afresh on each iteration', () => {
    const seq = sequence(take<number>(2), [1, 2, 3]);
    expect([...seq]).toEqual([1, 2]);
    expect([...seq]).toEqual([1, 2]);
  });
});
