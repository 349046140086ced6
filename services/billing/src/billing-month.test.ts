import { describe, expect, it } from 'vitest';
import { BillingMonthError, monthOf, monthPeriod, nextMonth } from './billing-month.ts';
import { at } from './test-fixtures.ts';

describe('monthOf', () => {
  it('puts 23:30 UTC on the 31st in the next month for Europe/Zurich', () => {
    expect(monthOf(at('2025-01-31T23:30:00Z'), 'Europe/Zurich')).toBe('2025-02');
    expect(monthOf(at('2025-01-31T23:30:00Z'), 'UTC')).toBe('2025-01');
    // Summer time: Zurich is UTC+2, so March ends at 22:00 UTC.
    expect(monthOf(at('2025-03-31T21:00:00Z'), 'Europe/Zurich')).toBe('2025-03');
    expect(monthOf(at('2025-03-31T22:00:00Z'), 'Europe/Zurich')).toBe('2025-04');
  });

  it('assigns an hour by its start, also in half-hour zones', () => {
    // Kolkata is UTC+5:30: the hour 18:00–19:00 UTC straddles local midnight and counts for January.
    expect(monthOf(at('2025-01-31T18:00:00Z'), 'Asia/Kolkata')).toBe('2025-01');
    expect(monthOf(at('2025-01-31T19:00:00Z'), 'Asia/Kolkata')).toBe('2025-02');
  });

  it('rejects unknown zones', () => {
    expect(() => monthOf(0, 'Mars/Olympus')).toThrowError(BillingMonthError);
  });
});

describe('monthPeriod', () => {
  it('runs from local midnight to local midnight', () => {
    expect(monthPeriod('2025-02', 'Europe/Zurich')).toEqual({
      month: '2025-02',
      start: at('2025-01-31T23:00:00Z'),
      end: at('2025-02-28T23:00:00Z'),
    });
    // Across the DST change: 31 days minus one hour.
    const march = monthPeriod('2025-03', 'Europe/Zurich');
    expect(march.end - march.start).toBe((31 * 24 - 1) * 3_600_000);
    expect(monthPeriod('2024-02', 'UTC').end).toBe(at('2024-03-01T00:00:00Z'));
    expect(monthPeriod('2025-12', 'America/New_York').end).toBe(at('2026-01-01T05:00:00Z'));
  });

  it('rejects malformed months', () => {
    for (const bad of ['2025-13', '2025-1', '25-01', ''])
      expect(() => monthPeriod(bad, 'UTC')).toThrowError(BillingMonthError);
  });
});

describe('nextMonth', () => {
  it('rolls over the year', () => {
    expect(nextMonth('2025-11')).toBe('2025-12');
    expect(nextMonth('2025-12')).toBe('2026-01');
  });
});
