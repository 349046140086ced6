import { describe, expect, it } from 'vitest';
import { into } from './into.ts';
import { takeWhile } from './take-while.ts';
import { tracked } from './test-support.ts';

describe('takeWhile', () => {
  it('takes while the predicate holds, then stops', () => {
    const input = tracked([1, 2, 3, 1]);
    expect(
      into(
        [],
        takeWhile((x: number) => x < 3),
        input,
      ),
    ).toEqual([1, 2]);
    expect(input.pulled).toBe(3);
  });
  it('takes everything if the predicate always holds', () => {
    expect(
      into(
        [],
        takeWhile(() => true),
        [1, 2],
      ),
    ).toEqual([1, 2]);
  });
});
