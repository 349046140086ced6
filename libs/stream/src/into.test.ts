import { describe, expect, it } from 'vitest';
import { into } from './into.ts';
import { map } from './map.ts';

describe('into', () => {
  it('appends to a copy of the target', () => {
    const target = [0];
    expect(
      into(
        target,
        map((x: number) => x + 1),
        [1, 2],
      ),
    ).toEqual([0, 2, 3]);
    expect(target).toEqual([0]);
  });
});
