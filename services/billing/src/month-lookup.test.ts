import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { monthOf, monthPeriod } from './billing-month.ts';
import { monthAt } from './month-lookup.ts';

describe('monthAt', () => {
  it('equals monthPeriod(monthOf(…)) for any instant, asked in any order, in whole- and half-hour zones', () => {
    const zones = ['UTC', 'Europe/Zurich', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            at: fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2026, 0, 1) }),
            zone: fc.constantFrom(...zones),
          }),
          { minLength: 1, maxLength: 50 },
        ),
        (asks) => {
          for (const { at, zone } of asks) expect(monthAt(at, zone)).toEqual(monthPeriod(monthOf(at, zone), zone));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('answers both sides of a month start that falls inside a UTC hour', () => {
    const start = monthPeriod('2025-03', 'Asia/Kolkata').start; // 2025-02-28T18:30Z
    expect(monthAt(start - 1, 'Asia/Kolkata').month).toBe('2025-02');
    expect(monthAt(start, 'Asia/Kolkata').month).toBe('2025-03');
    expect(monthAt(start - 1, 'Asia/Kolkata').month).toBe('2025-02');
  });

  it('throws for an unknown zone, as monthOf does', () => {
    expect(() => monthAt(0, 'Mars/Olympus')).toThrow(/unknown time zone/);
  });
});
