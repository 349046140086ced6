import { describe, expect, it } from 'vitest';
import { comp } from './comp.ts';
import { into } from './into.ts';
import { count, reducer, toArray } from './reducers.ts';
import { reduced } from './reduced.ts';
import { sideOutput } from './side-output.ts';
import { stepper } from './stepper.ts';
import { take } from './take.ts';
import type { WindowResult } from './tumbling-windows.ts';
import { tumblingWindows } from './tumbling-windows.ts';

interface Ev {
  readonly t: number;
  readonly k: string;
  readonly n?: number;
}

const ev = (t: number, k = 'a', n = 1): Ev => ({ t, k, n });

function counting(size: number, grace: number) {
  const late = sideOutput<Ev>();
  const xf = tumblingWindows({ size, grace, late, timestampOf: (e: Ev) => e.t, keyOf: (e) => e.k, reducer: count() });
  return { late, xf };
}

describe('tumblingWindows', () => {
  it('aggregates per key per window, emitting on completion in start then key order', () => {
    const { xf, late } = counting(10, 0);
    expect(into([], xf, [ev(1, 'b'), ev(2, 'a'), ev(3, 'b'), ev(9, 'a')])).toEqual([
      { key: 'b', windowStart: 0, windowEnd: 10, value: 2 },
      { key: 'a', windowStart: 0, windowEnd: 10, value: 2 },
    ]);
    expect(late.items).toEqual([]);
  });

  it('emits a window once the watermark reaches its end plus grace', () => {
    const { xf } = counting(10, 5);
    const s = stepper(xf, toArray<WindowResult<string, number>>());
    s.step([ev(1), ev(14)]); // watermark 14 < 10 + 5
    expect(s.step([])).toEqual([]);
    s.step([ev(15)]); // watermark 15 >= 15: [0, 10) closes
    expect(s.step([])).toEqual([{ key: 'a', windowStart: 0, windowEnd: 10, value: 1 }]);
    expect(s.complete()).toEqual([
      { key: 'a', windowStart: 0, windowEnd: 10, value: 1 },
      { key: 'a', windowStart: 10, windowEnd: 20, value: 2 },
    ]);
  });

  it('accepts late records within the grace and sends later ones to the side output', () => {
    const { xf, late } = counting(10, 5);
    const out = into([], xf, [ev(1), ev(14), ev(2), ev(15), ev(3), ev(9, 'b')]);
    expect(out).toEqual([
      { key: 'a', windowStart: 0, windowEnd: 10, value: 2 }, // t=1 and t=2 (within grace)
      { key: 'a', windowStart: 10, windowEnd: 20, value: 2 },
    ]);
    expect(late.items).toEqual([ev(3), ev(9, 'b')]);
  });

  it('with zero grace a window closes when the watermark reaches its end', () => {
    const { xf, late } = counting(10, 0);
    expect(into([], xf, [ev(9), ev(10), ev(9)])).toEqual([
      { key: 'a', windowStart: 0, windowEnd: 10, value: 1 },
      { key: 'a', windowStart: 10, windowEnd: 20, value: 1 },
    ]);
    expect(late.items).toEqual([ev(9)]);
  });

  it('emits several windows at once, in start order, and skips empty ones', () => {
    const { xf } = counting(10, 20); // the grace keeps [0, 10) and [10, 20) open after t=25
    const out = into([], xf, [ev(25, 'x'), ev(5, 'y'), ev(12, 'z'), ev(100, 'w')]);
    expect(out.map((w) => [w.windowStart, w.key])).toEqual([
      [0, 'y'],
      [10, 'z'],
      [20, 'x'],
      [100, 'w'],
    ]);
  });

  it('handles negative event times', () => {
    const { xf } = counting(10, 0);
    expect(into([], xf, [ev(-1), ev(0)])).toEqual([
      { key: 'a', windowStart: -10, windowEnd: 0, value: 1 },
      { key: 'a', windowStart: 0, windowEnd: 10, value: 1 },
    ]);
  });

  it('uses the per-key reducer, including its completion', () => {
    const late = sideOutput<Ev>();
    const mean = reducer(
      () => ({ n: 0, total: 0 }),
      (acc, e: Ev) => ({ n: acc.n + 1, total: acc.total + (e.n ?? 0) }),
      (acc) => ({ n: acc.n, total: acc.total / acc.n }),
    );
    const xf = tumblingWindows({ size: 60, late, timestampOf: (e: Ev) => e.t, keyOf: (e) => e.k, reducer: mean });
    expect(into([], xf, [ev(1, 'a', 2), ev(2, 'a', 4)])).toEqual([
      { key: 'a', windowStart: 0, windowEnd: 60, value: { n: 2, total: 3 } },
    ]);
  });

  it('stops aggregating a key when its reducer returns reduced', () => {
    const late = sideOutput<Ev>();
    const first = reducer(
      (): Ev | undefined => undefined,
      (_acc, e: Ev) => reduced(e),
    );
    const xf = tumblingWindows({ size: 10, late, timestampOf: (e: Ev) => e.t, keyOf: (e) => e.k, reducer: first });
    expect(into([], xf, [ev(1, 'a', 1), ev(2, 'a', 2)]).map((w) => w.value)).toEqual([ev(1, 'a', 1)]);
  });

  it('sends nothing more once downstream returns reduced, not even on completion', () => {
    const { xf } = counting(10, 0);
    const out = into([], comp(xf, take<WindowResult<string, number>>(1)), [ev(1, 'a'), ev(2, 'b'), ev(30), ev(40)]);
    expect(out).toEqual([{ key: 'a', windowStart: 0, windowEnd: 10, value: 1 }]);
  });

  it('keeps windows per binding', () => {
    const { xf } = counting(10, 0);
    expect(into([], xf, [ev(50)])).toHaveLength(1);
    expect(into([], xf, [ev(1)])).toEqual([{ key: 'a', windowStart: 0, windowEnd: 10, value: 1 }]);
  });

  it('validates its options and timestamps', () => {
    const late = sideOutput<Ev>();
    const base = { late, timestampOf: (e: Ev) => e.t, keyOf: (e: Ev) => e.k, reducer: count() };
    expect(() => tumblingWindows({ ...base, size: 0 })).toThrow(RangeError);
    expect(() => tumblingWindows({ ...base, size: 10, grace: -1 })).toThrow(RangeError);
    const xf = tumblingWindows({ ...base, size: 10 });
    expect(() => into([], xf, [ev(NaN)])).toThrow(RangeError);
  });
});
