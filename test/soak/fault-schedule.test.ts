import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countByKind, FAULT_KINDS, faultSchedule } from './fault-schedule.ts';

describe('faultSchedule', () => {
  it('is a pure function of the seed', () => {
    expect(faultSchedule({ seed: 7, minutes: 10 })).toEqual(faultSchedule({ seed: 7, minutes: 10 }));
    expect(faultSchedule({ seed: 7, minutes: 10 })).not.toEqual(faultSchedule({ seed: 8, minutes: 10 }));
  });

  it('covers every kind in the 3-minute CI soak (seed 1), with one replay near the middle', () => {
    const faults = faultSchedule({ seed: 1, minutes: 3 });
    expect(Object.keys(countByKind(faults)).sort()).toEqual([...FAULT_KINDS].sort());
    const replays = faults.filter((f) => f.kind === 'replay-billing');
    expect(replays).toHaveLength(1);
    expect(replays[0]!.atMs).toBeGreaterThanOrEqual(0.45 * 180_000);
    expect(replays[0]!.atMs).toBeLessThanOrEqual(0.7 * 180_000);
  });

  it('keeps faults apart, inside the window, after the warm-up, with one replay; longer soaks bring more', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 120 }), (seed, minutes) => {
        const faults = faultSchedule({ seed, minutes });
        const windowMs = minutes * 60_000;
        expect(faults.filter((f) => f.kind === 'replay-billing')).toHaveLength(1);
        expect(faults[0]!.atMs).toBeGreaterThanOrEqual(Math.min(20_000, windowMs / 10));
        // Plain checks per fault (an expect() each is too slow for hundreds of faults × runs).
        const broken = faults.filter((fault, i) => {
          const next = faults[i + 1];
          const injects = fault.kind.startsWith('poison') || fault.kind === 'glitching-agent';
          return (
            fault.atMs + fault.durationMs > windowMs ||
            (next !== undefined && next.atMs < fault.atMs + fault.durationMs) ||
            injects !== fault.count > 0
          );
        });
        expect(broken).toEqual([]);
        if (minutes >= 4) expect(Object.keys(countByKind(faults))).toHaveLength(FAULT_KINDS.length);
        if (minutes >= 30) expect(faults.length).toBeGreaterThan(minutes * 2);
      }),
      { numRuns: 60 },
    );
  });
});
