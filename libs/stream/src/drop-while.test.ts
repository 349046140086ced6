import { describe, expect, it } from 'vitest';
import { dropWhile } from './drop-while.ts';
import { into } from './into.ts';

describe('dropWhile', () => {
  it('skips while the predicate holds, then sends everything', () => {
    expect(
      into(
        [],
        dropWhile((x: number) => x < 3),
        [1, 2, 3, 1, 4],
      ),
    ).toEqual([3, 1, 4]);
  });
  it('starts dropping afresh for each binding', () => {
    const xf = dropWhile((x: number) => x < 2);
    expect(into([], xf, [1, 2, 1])).toEqual([2, 1]);
    expect(into([], xf, [1, 3])).toEqual([3]);
  });
});
