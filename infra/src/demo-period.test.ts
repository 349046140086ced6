import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { demoPeriod } from './demo-period.ts';

const HOUR_MS = 3_600_000;
const at = (iso: string) => Date.parse(iso);

describe('demoPeriod', () => {
  it('simulates the last days of the previous month once its grace has passed everywhere', () => {
    const period = demoPeriod(at('2026-12-20T00:00:00Z'), 2, 72);
    expect(period).toEqual({ from: at('2026-11-29T00:00:00Z'), end: at('2026-12-01T00:00:00Z'), month: '2026-11' });
  });

  it('on the 1st to 4th of a month it simulates the month before last', () => {
    expect(demoPeriod(at('2026-12-01T05:47:00Z'), 2, 72).month).toBe('2026-10');
    // November ends at 12:00 UTC on 1 December in UTC-12; 72 h later is 4 December, 12:00 UTC.
    expect(demoPeriod(at('2026-12-04T11:59:59Z'), 2, 72).month).toBe('2026-10');
    expect(demoPeriod(at('2026-12-04T12:00:00Z'), 2, 72).month).toBe('2026-11');
  });

  it('crosses the year and follows the grace', () => {
    expect(demoPeriod(at('2027-01-02T00:00:00Z'), 3, 72)).toEqual({
      from: at('2026-11-28T00:00:00Z'),
      end: at('2026-12-01T00:00:00Z'),
      month: '2026-11',
    });
    expect(demoPeriod(at('2027-01-02T00:00:00Z'), 1, 0).month).toBe('2026-12');
  });

  it('always picks a month whose end plus grace has passed in every zone, and the latest such month', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }),
        fc.integer({ min: 1, max: 62 }),
        fc.integer({ min: 0, max: 24 * 40 }),
        (now, days, grace) => {
          const { from, end, month } = demoPeriod(now, days, grace);
          const finalizableAt = (monthEnd: number) => monthEnd + (12 + grace) * HOUR_MS;
          expect(finalizableAt(end)).toBeLessThanOrEqual(now);
          const next = new Date(end);
          const nextEnd = Date.UTC(next.getUTCFullYear(), next.getUTCMonth() + 1, 1);
          expect(finalizableAt(nextEnd)).toBeGreaterThan(now);
          expect(end - from).toBe(days * 24 * HOUR_MS);
          expect(new Date(end - 1).toISOString().slice(0, 7)).toBe(month);
        },
      ),
    );
  });
});
