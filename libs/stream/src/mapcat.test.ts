import { describe, expect, it } from 'vitest';
import { comp } from './comp.ts';
import { into } from './into.ts';
import { mapcat } from './mapcat.ts';
import { take } from './take.ts';
import { tracked } from './test-support.ts';

describe('mapcat', () => {
  it('maps to iterables and flattens', () => {
    expect(
      into(
        [],
        mapcat((x: number) => [x, x * 10]),
        [1, 2],
      ),
    ).toEqual([1, 10, 2, 20]);
  });
  it('accepts any iterable, including empty ones', () => {
    expect(
      into(
        [],
        mapcat((s: string) => new Set(s)),
        ['aab', '', 'c'],
      ),
    ).toEqual(['a', 'b', 'c']);
  });
  it('stops mid-iterable on reduced, closes it, and takes no more input', () => {
    const inner = tracked([1, 2, 3, 4]);
    const outer = tracked([0, 1]);
    expect(
      into(
        [],
        comp(
          mapcat((_: number) => inner),
          take<number>(2),
        ),
        outer,
      ),
    ).toEqual([1, 2]);
    expect(inner.pulled).toBe(2);
    expect(inner.closed).toBe(true);
    expect(outer.pulled).toBe(1);
  });
  it('passes reduced through nested mapcats', () => {
    const xf = comp(
      mapcat((x: number) => [x, x]),
      mapcat((x: number) => [x, -x]),
      take<number>(3),
    );
    expect(into([], xf, [1, 2, 3])).toEqual([1, -1, 1]);
  });
});
