import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bisect } from './bisect.ts';

class Deterministic extends Error {}
class Transient extends Error {}

/** A store that applies runs of record numbers with a "next offset" fence, like advanceOffset. */
function store(bad: ReadonlySet<number>) {
  const applied: number[] = [];
  const setAside: number[] = [];
  let next = 0;
  let attempts = 0;
  const commit = (run: readonly number[]) => {
    if (run[0] !== next) throw new Error(`fence: run starts at ${run[0]}, stored next is ${next}`);
    next = run[run.length - 1]! + 1;
  };
  return {
    applied,
    setAside,
    get attempts() {
      return attempts;
    },
    steps: {
      apply: (run: readonly number[]) => {
        attempts += 1;
        if (run.some((n) => bad.has(n))) return Promise.reject(new Deterministic(`bad in ${run.join(',')}`));
        commit(run);
        applied.push(...run);
        return Promise.resolve();
      },
      setAside: (n: number) => {
        commit([n]);
        setAside.push(n);
        return Promise.resolve();
      },
      isDeterministic: (error: unknown) => error instanceof Deterministic,
    },
  };
}

describe('bisect', () => {
  it('applies a clean run once', async () => {
    const s = store(new Set());
    await bisect([0, 1, 2, 3], s.steps);
    expect(s.applied).toEqual([0, 1, 2, 3]);
    expect(s.attempts).toBe(1);
  });

  it('isolates the offending record and applies the others around it', async () => {
    const s = store(new Set([5]));
    await bisect([0, 1, 2, 3, 4, 5, 6, 7], s.steps);
    expect(s.applied).toEqual([0, 1, 2, 3, 4, 6, 7]);
    expect(s.setAside).toEqual([5]);
  });

  it('lets an error that a retry may cure propagate, having applied only whole runs', async () => {
    const s = store(new Set([1]));
    const steps = {
      ...s.steps,
      apply: (run: readonly number[]) =>
        run.length <= 2 && run.includes(3) ? Promise.reject(new Transient('database away')) : s.steps.apply(run),
    };
    await expect(bisect([0, 1, 2, 3], steps)).rejects.toThrow(Transient);
    expect(s.applied).toEqual([0]);
    expect(s.setAside).toEqual([1]);
  });

  it('applies or sets aside every record exactly once, in order, within 2·k·log2(n)+1 attempts (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 200 }),
        fc.array(fc.nat(199), { maxLength: 12 }),
        async (n, badList) => {
          const bad = new Set(badList.filter((b) => b < n));
          const records = [...Array(n).keys()];
          const s = store(bad);
          await bisect(records, s.steps);
          expect(s.setAside).toEqual([...bad].sort((a, b) => a - b));
          expect(s.applied).toEqual(records.filter((r) => !bad.has(r)));
          expect(s.attempts).toBeLessThanOrEqual(1 + 2 * bad.size * Math.ceil(Math.log2(n) + 1));
        },
      ),
      { numRuns: 500 },
    );
  });
});
