import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Reducer, Transducer } from './api.ts';
import { cat } from './cat.ts';
import { comp } from './comp.ts';
import { dedupe } from './dedupe.ts';
import { distinctBy } from './distinct-by.ts';
import { divert } from './divert.ts';
import { drop } from './drop.ts';
import { dropWhile } from './drop-while.ts';
import { filter } from './filter.ts';
import { keep } from './keep.ts';
import { map } from './map.ts';
import { mapcat } from './mapcat.ts';
import { partitionAll } from './partition-all.ts';
import { partitionBy } from './partition-by.ts';
import { reduced } from './reduced.ts';
import { count, reducer, toArray } from './reducers.ts';
import { remove } from './remove.ts';
import { scan } from './scan.ts';
import { sequence } from './sequence.ts';
import { sideOutput } from './side-output.ts';
import type { CollectedSideOutput } from './side-output.ts';
import { stepper } from './stepper.ts';
import { take } from './take.ts';
import { takeWhile } from './take-while.ts';
import { probe } from './test-support.ts';
import { transduce } from './transduce.ts';
import type { Failure } from './try-map.ts';
import { tryMap } from './try-map.ts';
import { tumblingWindows } from './tumbling-windows.ts';

// A pipeline is a list of steps from numbers to numbers, described as data so fast-check can
// generate and shrink it, and built afresh (with fresh side outputs) for every run.
type Spec =
  | { op: 'map'; k: number }
  | { op: 'filter' | 'remove' | 'keep' | 'divert' | 'tryMap'; m: number }
  | { op: 'mapcat'; n: number }
  | { op: 'take' | 'drop' | 'partitionAll'; n: number }
  | { op: 'takeWhile' | 'dropWhile'; limit: number }
  | { op: 'dedupe' | 'partitionBy' | 'scan' }
  | { op: 'distinctBy'; capacity: number }
  | { op: 'windows'; size: number; grace: number };

const small = fc.integer({ min: 0, max: 6 });
const spec: fc.Arbitrary<Spec> = fc.oneof(
  fc.record({ op: fc.constant('map' as const), k: fc.integer({ min: -3, max: 3 }) }),
  fc.record({ op: fc.constantFrom('filter', 'remove', 'keep', 'divert', 'tryMap'), m: fc.integer({ min: 2, max: 5 }) }),
  fc.record({ op: fc.constant('mapcat' as const), n: small }),
  fc.record({ op: fc.constantFrom('take', 'drop', 'partitionAll'), n: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('take' as const), n: fc.constant(0) }),
  fc.record({ op: fc.constantFrom('takeWhile', 'dropWhile'), limit: fc.integer({ min: -20, max: 40 }) }),
  fc.record({ op: fc.constantFrom('dedupe', 'partitionBy', 'scan') }),
  fc.record({ op: fc.constant('distinctBy' as const), capacity: fc.integer({ min: 1, max: 5 }) }),
  fc.record({
    op: fc.constant('windows' as const),
    size: fc.integer({ min: 1, max: 10 }),
    grace: fc.integer({ min: 0, max: 10 }),
  }),
);

interface Built {
  readonly xf: Transducer<number, number>;
  readonly side: CollectedSideOutput<unknown>;
}

function stage(s: Spec, side: CollectedSideOutput<unknown>): Transducer<number, number> {
  switch (s.op) {
    case 'map':
      return map((x: number) => (x * 3 + s.k) % 50);
    case 'filter':
      return filter((x: number) => x % s.m !== 0);
    case 'remove':
      return remove((x: number) => x % s.m !== 0);
    case 'keep':
      return keep((x: number) => (x % s.m === 0 ? null : x + 1));
    case 'divert':
      return divert((x: number) => x % s.m === 0, side);
    case 'tryMap':
      return tryMap(
        (x: number) => {
          if (x % s.m === 0) throw new Error(`bad ${x}`);
          return x;
        },
        side as CollectedSideOutput<Failure<number>>,
      );
    case 'mapcat':
      return mapcat((x: number) => Array.from({ length: s.n }, (_, i) => x + i));
    case 'take':
      return take(s.n);
    case 'drop':
      return drop(s.n);
    case 'partitionAll':
      return comp(partitionAll<number>(s.n), probe(), cat());
    case 'takeWhile':
      return takeWhile((x: number) => x < s.limit);
    case 'dropWhile':
      return dropWhile((x: number) => x < s.limit);
    case 'dedupe':
      return dedupe();
    case 'partitionBy':
      return comp(
        partitionBy((x: number) => x % 2),
        probe(),
        map((g: number[]) => g.length * 100 + (g[0] ?? 0)),
      );
    case 'scan':
      return scan(
        (total: number, x: number) => (total + x) % 1000,
        () => 0,
      );
    case 'distinctBy':
      return distinctBy((x: number) => x % 7, s.capacity);
    case 'windows':
      return comp(
        tumblingWindows({
          size: s.size,
          grace: s.grace,
          late: side,
          timestampOf: (x: number) => x,
          keyOf: (x: number) => x % 3,
          reducer: count(),
        }),
        probe(),
        map((w) => w.windowStart * 10 + w.value),
      );
  }
}

function build(specs: readonly Spec[]): Built {
  const side = sideOutput<unknown>();
  let xf: Transducer<number, number> = probe<number>('input');
  for (const [i, s] of specs.entries()) xf = comp(xf, stage(s, side), probe(`after ${i}:${s.op}`));
  return { xf, side };
}

/** Splits `input` into consecutive batches at the given cut points (any, possibly empty, batches). */
function split<T>(input: readonly T[], cuts: readonly number[]): T[][] {
  const points = [...cuts.map((c) => c % (input.length + 1)), input.length].sort((a, b) => a - b);
  const batches: T[][] = [];
  let from = 0;
  for (const p of points) {
    batches.push(input.slice(from, p));
    from = p;
  }
  return batches;
}

/** A final reducer that stops by itself after `limit` outputs, and checks its own life cycle. */
function strictCollector(limit: number): Reducer<number[], number> & { completions: () => number } {
  let completions = 0;
  let stopped = false;
  const rf = reducer(
    (): number[] => [],
    (acc: number[], x: number) => {
      if (stopped) throw new Error('final reducer: input after reduced');
      if (completions > 0) throw new Error('final reducer: input after completion');
      acc.push(x);
      if (acc.length >= limit) {
        stopped = true;
        return reduced(acc);
      }
      return acc;
    },
    (acc) => {
      completions++;
      return acc;
    },
  );
  return { ...rf, completions: () => completions };
}

const inputs = fc.array(fc.integer({ min: -10, max: 60 }), { maxLength: 60 });
const cuts = fc.array(fc.nat({ max: 1000 }), { maxLength: 8 });
const pipelines = fc.array(spec, { maxLength: 6 });
const limits = fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 20 }));

describe('properties', () => {
  it('the stepping driver gives the same output (and side output) as transducing the whole array', () => {
    fc.assert(
      fc.property(pipelines, inputs, cuts, limits, (specs, input, cutPoints, limit) => {
        const whole = build(specs);
        const expected = transduce(whole.xf, strictCollector(limit), input);

        const stepped = build(specs);
        const s = stepper(stepped.xf, strictCollector(limit));
        for (const batch of split(input, cutPoints)) s.step(batch);
        expect(s.complete()).toEqual(expected);
        expect(stepped.side.items).toEqual(whole.side.items);

        const lazy = build(specs);
        const viaSequence = [...sequence(lazy.xf, input)].slice(0, limit);
        if (limit === Infinity) expect(viaSequence).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('no step receives input after reduced, and completion happens exactly once', () => {
    fc.assert(
      fc.property(pipelines, inputs, cuts, limits, (specs, input, cutPoints, limit) => {
        // Probes sit between all steps and throw on any breach; so does the final reducer.
        const rf = strictCollector(limit);
        transduce(build(specs).xf, rf, input);
        expect(rf.completions()).toBe(1);

        const rf2 = strictCollector(limit);
        const s = stepper(build(specs).xf, rf2);
        for (const batch of split(input, cutPoints)) s.step(batch);
        s.complete();
        s.complete();
        expect(rf2.completions()).toBe(1);
      }),
      { numRuns: 500 },
    );
  });

  it('windows lose nothing: emitted plus late equals the input, and late means late', () => {
    interface Rec {
      readonly id: number;
      readonly t: number;
      readonly k: number;
    }
    const records = fc
      .array(fc.record({ t: fc.integer({ min: -50, max: 200 }), k: fc.integer({ min: 0, max: 3 }) }), {
        maxLength: 80,
      })
      .map((rs) => rs.map((r, id): Rec => ({ id, ...r })));
    fc.assert(
      fc.property(
        records,
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        cuts,
        (input, size, grace, cutPoints) => {
          const late = sideOutput<Rec>();
          const xf = tumblingWindows({
            size,
            grace,
            late,
            timestampOf: (r: Rec) => r.t,
            keyOf: (r) => r.k,
            reducer: toArray<Rec>(),
          });
          const s = stepper(xf, toArray<{ key: number; windowStart: number; windowEnd: number; value: Rec[] }>());
          for (const batch of split(input, cutPoints)) s.step(batch);
          const windows = s.complete();

          const emittedIds = windows.flatMap((w) => w.value.map((r) => r.id));
          const lateIds = late.items.map((r) => r.id);
          expect([...emittedIds, ...lateIds].sort((a, b) => a - b)).toEqual(input.map((r) => r.id));

          const seen = new Set<string>();
          let previousStart = -Infinity;
          for (const w of windows) {
            expect(w.windowEnd - w.windowStart).toBe(size);
            expect(w.windowStart).toBeGreaterThanOrEqual(previousStart); // emitted in start order
            previousStart = w.windowStart;
            const id = `${w.windowStart}/${w.key}`;
            expect(seen.has(id)).toBe(false); // one output per key per window
            seen.add(id);
            for (const r of w.value) {
              expect(r.k).toBe(w.key);
              expect(r.t >= w.windowStart && r.t < w.windowEnd).toBe(true);
            }
          }

          // A record is late exactly when the watermark before it had passed its window end + grace.
          const lateSet = new Set(lateIds);
          let watermark = -Infinity;
          for (const r of input) {
            const end = Math.floor(r.t / size) * size + size;
            expect(lateSet.has(r.id)).toBe(end + grace <= watermark);
            watermark = Math.max(watermark, r.t);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
