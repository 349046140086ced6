import { describe, expect, it } from 'vitest';
import { filter } from './filter.ts';
import { into } from './into.ts';

describe('filter', () => {
  it('keeps inputs matching the predicate', () => {
    expect(
      into(
        [],
        filter((x: number) => x % 2 === 0),
        [1, 2, 3, 4],
      ),
    ).toEqual([2, 4]);
  });
  it('narrows with a type guard', () => {
    const out: string[] = into(
      [],
      filter((x: string | number): x is string => typeof x === 'string'),
      ['a', 1, 'b'],
    );
    expect(out).toEqual(['a', 'b']);
  });
});
