import { describe, expect, it } from 'vitest';
import { into } from './into.ts';
import { remove } from './remove.ts';

describe('remove', () => {
  it('drops inputs matching the predicate', () => {
    expect(
      into(
        [],
        remove((x: number) => x % 2 === 0),
        [1, 2, 3, 4],
      ),
    ).toEqual([1, 3]);
  });
});
