import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Transducer } from './api.ts';
import { comp } from './comp.ts';
import { filter } from './filter.ts';
import { into } from './into.ts';
import { map } from './map.ts';
import { take } from './take.ts';
import { recorder } from './test-support.ts';

describe('comp', () => {
  it('runs steps left to right', () => {
    const xf = comp(
      map((x: number) => x + 1),
      filter((x) => x % 2 === 0),
      map((x) => `${x}`),
    );
    expect(into([], xf, [1, 2, 3])).toEqual(['2', '4']);
  });
  it('types flow through the chain', () => {
    const xf = comp(
      map((x: number) => x + 1),
      map((x) => String(x)),
      take(1),
    );
    expectTypeOf(xf).toEqualTypeOf<Transducer<number, string>>();
    const toNumber = map((x: number) => x);
    const fromString = map((x: string) => x);
    // @ts-expect-error the second step takes strings, not numbers
    comp(toNumber, fromString);
  });
  it('with no steps is identity', () => {
    expect(into([], comp<number>(), [1, 2])).toEqual([1, 2]);
  });
  it('composes ten steps', () => {
    const inc = map((x: number) => x + 1);
    expect(into([], comp(inc, inc, inc, inc, inc, inc, inc, inc, inc, inc), [0])).toEqual([10]);
  });
  it('nests', () => {
    const xf = comp(
      comp(
        map((x: number) => x * 2),
        take(2),
      ),
      comp(map((x) => x + 1)),
    );
    expect(into([], xf, [1, 2, 3])).toEqual([3, 5]);
  });
  it('completes each step once, outermost first', () => {
    const rf = recorder<number>();
    const bound = comp(
      map((x: number) => x),
      take<number>(1),
    )(rf);
    bound.complete(rf.init());
    expect(rf.calls).toEqual(['complete']);
  });
});
