import { describe, expect, it } from 'vitest';
import { into } from './into.ts';
import { keep } from './keep.ts';

describe('keep', () => {
  it('keeps results that are not null or undefined', () => {
    const out: number[] = into(
      [],
      keep((x: number) => (x > 1 ? x * 2 : x === 0 ? null : undefined)),
      [0, 1, 2, 3],
    );
    expect(out).toEqual([4, 6]);
  });
  it('keeps falsy values other than null and undefined', () => {
    expect(
      into(
        [],
        keep((x: number) => [0, '', false][x]),
        [0, 1, 2, 3],
      ),
    ).toEqual([0, '', false]);
  });
});
