import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Reducer, Transducer } from './api.ts';
import { comp } from './comp.ts';
import { filter } from './filter.ts';
import { into } from './into.ts';
import { keep } from './keep.ts';
import { map } from './map.ts';
import { isReduced } from './reduced.ts';
import { remove } from './remove.ts';
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

describe('comp binds each step itself', () => {
  // The results, completion and early termination must be exactly those of binding the steps by hand.
  const steps = [
    map((x: number) => x * 3),
    filter((x: number) => x % 2 === 0),
    remove((x: number) => x % 4 === 0),
    keep((x: number) => (x % 5 === 0 ? null : x)),
    keep((x: number) => (x % 7 === 0 ? undefined : x - 1)),
    map((x: number) => x + 0.5),
  ] as const;
  const bindByHand = <Acc>(rf: Reducer<Acc, number>): Reducer<Acc, number> => {
    let r = rf;
    for (let i = steps.length - 1; i >= 0; i--) r = (steps[i] as Transducer<number, number>)(r);
    return r;
  };
  const input = Array.from({ length: 200 }, (_, i) => i);
  it('gives the same output as binding each step itself', () => {
    const viaComp = comp(...(steps as unknown as [Transducer<number, number>]));
    expect(into([], viaComp, input)).toEqual(into([], bindByHand, input));
  });
  it('passes reduced through untouched and completes once', () => {
    const rf = recorder<number>();
    const xf = comp(
      map((x: number) => x + 1),
      filter((x: number) => x > 2),
      take<number>(2),
      map((x: number) => x * 10),
    );
    const bound = xf(rf);
    let acc = rf.init();
    const seen: unknown[] = [];
    for (const x of [1, 2, 3, 4, 5]) {
      const r = bound.step(acc, x);
      seen.push(isReduced(r));
      if (isReduced(r)) {
        acc = r.value;
        break;
      }
      acc = r;
    }
    bound.complete(acc);
    expect(seen).toEqual([false, false, true]);
    expect(rf.calls).toEqual(['step:30', 'step:40', 'complete']);
    expect(into([], xf, [1, 2, 3, 4, 5])).toEqual([30, 40]);
  });
  it('keeps 0, empty string and false in keep', () => {
    const xf = comp(
      keep((x: unknown) => x),
      map((x: unknown) => x),
    );
    expect(into([], xf, [0, '', false, null, undefined, 1])).toEqual([0, '', false, 1]);
  });
  it('composes long and nested chains', () => {
    const inc = map((x: number) => x + 1);
    const ten = comp(inc, inc, inc, inc, inc, inc, inc, inc, inc, inc);
    const twelve = comp(inc, inc, inc, inc, inc, inc, inc, inc, inc, comp(inc, inc, inc));
    expect(into([], ten, [0, 1])).toEqual([10, 11]);
    expect(into([], twelve, [0, 1])).toEqual([12, 13]);
  });
});
