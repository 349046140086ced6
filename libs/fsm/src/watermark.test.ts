import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { advanceWatermark, hourOf, hourStartOf, watermark, type StreamProgress } from './index.ts';

const clock = (latestHour: number | undefined): StreamProgress => ({ latestHour, caughtUp: true, clock: true });

describe('watermark', () => {
  it('is the latest clock hour less the lateness', () => {
    expect(watermark([clock(100), clock(97)], 2)).toBe(98);
  });

  it('is held back by a stream still behind, not by one caught up', () => {
    expect(watermark([clock(100), { latestHour: 90, caughtUp: false, clock: false }], 2)).toBe(90);
    expect(watermark([clock(100), { latestHour: 40, caughtUp: true, clock: false }], 2)).toBe(98);
    expect(watermark([clock(100), { latestHour: 99, caughtUp: false, clock: true }], 2)).toBe(98);
  });

  it('decides nothing before a clock spoke or while a stream behind showed nothing', () => {
    expect(watermark([clock(undefined)], 2)).toBeUndefined();
    expect(watermark([clock(100), { latestHour: undefined, caughtUp: false, clock: false }], 2)).toBeUndefined();
  });

  it('never exceeds any stream behind, nor the clock less the lateness', () => {
    const stream = fc.record({
      latestHour: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
      caughtUp: fc.boolean(),
      clock: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(stream, { maxLength: 6 }), fc.integer({ min: 0, max: 5 }), (streams, lateness) => {
        const mark = watermark(streams, lateness);
        if (mark === undefined) return;
        for (const s of streams) {
          if (!s.caughtUp) expect(mark).toBeLessThanOrEqual(s.latestHour ?? -Infinity);
        }
        const latestClock = Math.max(...streams.filter((s) => s.clock).map((s) => s.latestHour ?? -Infinity));
        expect(mark).toBe(
          Math.min(latestClock - lateness, ...streams.filter((s) => !s.caughtUp).map((s) => s.latestHour ?? -Infinity)),
        );
      }),
    );
  });

  it('never moves back', () => {
    expect(advanceWatermark(98, 90)).toBe(98);
    expect(advanceWatermark(undefined, 90)).toBe(90);
    expect(advanceWatermark(90, undefined)).toBe(90);
  });

  it('counts whole epoch hours', () => {
    expect(hourOf(Date.UTC(2026, 0, 1, 5, 59))).toBe(hourOf(Date.UTC(2026, 0, 1, 5)));
    expect(hourStartOf(hourOf(Date.UTC(2026, 0, 1, 5, 59)))).toBe(Date.UTC(2026, 0, 1, 5));
  });
});
