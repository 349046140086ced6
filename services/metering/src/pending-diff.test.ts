import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffPending } from './pending-diff.ts';
import type { HeldSample } from './pending-samples.ts';
import { sampleAt } from './sample-fixtures.ts';

const entry = (n: number): HeldSample => ({ sample: sampleAt({ instanceId: `i-${n}` }), heldAt: n });

/** Applies a diff to rows stored as seq → entry, as the DELETE and INSERT in pending-store.ts do. */
function apply(rows: Map<number, HeldSample>, stored: Map<HeldSample, number>, after: HeldSample[]) {
  const diff = diffPending(stored, after);
  for (const seq of diff.deleted) rows.delete(seq);
  for (const { seq, entry: held } of diff.inserted) {
    expect(rows.has(seq)).toBe(false);
    rows.set(seq, held);
  }
  return diff;
}

describe('diffPending', () => {
  it('deletes what left and appends what came, after the highest stored seq', () => {
    const [a, b, c] = [entry(1), entry(2), entry(3)];
    expect(
      diffPending(
        new Map([
          [a, 4],
          [b, 7],
        ]),
        [b, c],
      ),
    ).toEqual({ deleted: [4], inserted: [{ seq: 8, entry: c }] });
  });

  it('writes nothing when nothing changed', () => {
    const a = entry(1);
    expect(diffPending(new Map([[a, 0]]), [a])).toEqual({ deleted: [], inserted: [] });
  });

  it('restarts numbering when nothing is kept', () => {
    const [a, b] = [entry(1), entry(2)];
    expect(diffPending(new Map([[a, 9]]), [b])).toEqual({ deleted: [9], inserted: [{ seq: 0, entry: b }] });
  });

  it('over any sequence of batches, the rows read back by seq equal the held samples in order', () => {
    // Each step keeps a subsequence of what is held (release, expiry, eviction) and appends new entries.
    const step = fc.record({ keep: fc.array(fc.boolean(), { maxLength: 30 }), add: fc.nat({ max: 5 }) });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 12 }), (steps) => {
        const rows = new Map<number, HeldSample>();
        let held: HeldSample[] = [];
        let made = 0;
        for (const { keep, add } of steps) {
          // What loadPending returns: rows in seq order, each mapped to its seq.
          const stored = new Map([...rows].sort(([x], [y]) => x - y).map(([seq, held]) => [held, seq] as const));
          expect([...stored.keys()]).toEqual(held);
          const after = [...held.filter((_, index) => keep[index] ?? true)];
          for (let n = 0; n < add; n += 1) after.push(entry(made++));
          apply(rows, stored, after);
          held = after;
        }
        expect([...rows].sort(([x], [y]) => x - y).map(([, held]) => held)).toEqual(held);
      }),
    );
  });
});
