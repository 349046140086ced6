import { describe, expect, it } from 'vitest';
import { injectDuplicates } from './inject-duplicates.ts';
import { injectLateArrivals } from './inject-late-arrivals.ts';
import { injectOutage } from './inject-outage.ts';
import { injectReordering } from './inject-reordering.ts';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

describe('injectDuplicates', () => {
  it('resends about the given fraction, each copy after its original, deterministically', () => {
    const out = [...injectDuplicates(range(10_000), { seed: 1, fraction: 0.1, maxDelay: 50 })];
    expect(out).toEqual([...injectDuplicates(range(10_000), { seed: 1, fraction: 0.1, maxDelay: 50 })]);
    expect(out.length - 10_000).toBeGreaterThan(800);
    expect(out.length - 10_000).toBeLessThan(1_200);
    expect(new Set(out).size).toBe(10_000);
    const firstSeen = new Map<number, number>();
    out.forEach((x, i) => {
      if (firstSeen.has(x)) expect(i - (firstSeen.get(x) ?? 0)).toBeLessThanOrEqual(2 * 50 + 1);
      else firstSeen.set(x, i);
    });
  });

  it('does nothing at fraction 0', () => {
    expect([...injectDuplicates(range(100), { seed: 1, fraction: 0, maxDelay: 5 })]).toEqual(range(100));
  });
});

describe('injectReordering', () => {
  it('permutes within blocks, so nothing moves by k or more', () => {
    const out = [...injectReordering(range(1_003), { seed: 4, window: 16 })];
    expect(sorted(out)).toEqual(range(1_003));
    expect(out).not.toEqual(range(1_003));
    out.forEach((x, i) => expect(Math.abs(x - i)).toBeLessThan(16));
  });
});

describe('injectLateArrivals', () => {
  const records = range(1_000).map((i) => ({ id: i, windowStart: i * 30_000 }));

  it('delays a fraction by at least the delay in event time and loses nothing', () => {
    const delayMs = 600_000;
    const out = [...injectLateArrivals(records, { seed: 9, fraction: 0.05, delayMs })];
    expect(sorted(out.map((r) => r.id))).toEqual(range(1_000));
    let watermark = -Infinity;
    let late = 0;
    for (const r of out) {
      if (r.windowStart < watermark) {
        late += 1;
        // Released just before the first record at least `delayMs` later: the stream already reached one window less.
        expect(watermark - r.windowStart).toBeGreaterThanOrEqual(delayMs - 30_000);
      }
      watermark = Math.max(watermark, r.windowStart);
    }
    expect(late).toBeGreaterThan(20);
  });
});

describe('injectOutage', () => {
  it('holds what was produced during the outage and sends it when the link is back', () => {
    const records = range(10).map((i) => ({ id: i, windowStart: i * 30_000, hypervisorId: i % 2 ? 'hv-b' : 'hv-a' }));
    const out = [...injectOutage(records, { outage: { from: 60_000, to: 180_000 }, hypervisorIds: new Set(['hv-a']) })];
    expect(out.map((r) => r.id)).toEqual([0, 1, 3, 5, 2, 4, 6, 7, 8, 9]);
    const all = [...injectOutage(records, { outage: { from: 60_000, to: 10 ** 9 } })];
    expect(all.map((r) => r.id)).toEqual(range(10));
  });
});
