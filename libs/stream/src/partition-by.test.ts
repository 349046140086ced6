import { describe, expect, it } from 'vitest';
import { comp } from './comp.ts';
import { into } from './into.ts';
import { partitionBy } from './partition-by.ts';
import { take } from './take.ts';
import { probe } from './test-support.ts';

describe('partitionBy', () => {
  it('groups consecutive inputs with the same key', () => {
    expect(
      into(
        [],
        partitionBy((x: number) => x > 0),
        [1, 2, -1, 3],
      ),
    ).toEqual([[1, 2], [-1], [3]]);
    expect(
      into(
        [],
        partitionBy((x: string) => x[0]),
        ['ab', 'ac', 'b', 'aa'],
      ),
    ).toEqual([['ab', 'ac'], ['b'], ['aa']]);
    expect(
      into(
        [],
        partitionBy((x: number) => x),
        [],
      ),
    ).toEqual([]);
  });
  it('does not start or flush a group after downstream stopped', () => {
    const xf = comp(
      partitionBy((x: number) => x),
      probe(),
      take<number[]>(1),
    );
    expect(into([], xf, [1, 1, 2, 2])).toEqual([[1, 1]]);
  });
  it('keeps state per binding', () => {
    const xf = partitionBy((x: number) => x);
    expect(into([], xf, [1, 1])).toEqual([[1, 1]]);
    expect(into([], xf, [1])).toEqual([[1]]);
  });
});
