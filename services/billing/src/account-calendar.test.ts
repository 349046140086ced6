import { describe, expect, it } from 'vitest';
import { AccountCalendar, type ClosedMonth } from './account-calendar.ts';
import { monthPeriod } from './billing-month.ts';
import { at } from './test-fixtures.ts';

const closed = (month: string, timeZone: string, currency = 'USD'): ClosedMonth => {
  const p = monthPeriod(month, timeZone);
  return { month, timeZone, currency, periodStart: p.start, periodEnd: p.end };
};

describe('AccountCalendar', () => {
  it('without closed months is the calendar of the account time zone', () => {
    const calendar = new AccountCalendar([], { timeZone: 'Europe/Zurich', currency: 'USD' });
    expect(calendar.monthOf(at('2025-01-31T23:00:00Z'))).toBe('2025-02');
    expect(calendar.settings('2025-02')).toMatchObject({ ...monthPeriod('2025-02', 'Europe/Zurich'), closed: false });
  });

  it('starts the first open month where the last closed one ended when the zone moved west', () => {
    const calendar = new AccountCalendar([closed('2025-01', 'UTC')], { timeZone: 'America/New_York', currency: 'USD' });
    // 02:00Z on 1 February is still January in New York, but January is closed in UTC: it is February's.
    expect(calendar.monthOf(at('2025-02-01T02:00:00Z'))).toBe('2025-02');
    expect(calendar.monthOf(at('2025-01-31T23:00:00Z'))).toBe('2025-01');
    expect(calendar.settings('2025-02')).toEqual({
      month: '2025-02',
      start: at('2025-02-01T00:00:00Z'),
      end: at('2025-03-01T05:00:00Z'),
      timeZone: 'America/New_York',
      currency: 'USD',
      closed: false,
    });
    expect(calendar.settings('2025-03').start).toBe(at('2025-03-01T05:00:00Z'));
  });

  it('starts the first open month where the last closed one ended when the zone moved east', () => {
    const calendar = new AccountCalendar([closed('2025-01', 'UTC')], { timeZone: 'Asia/Tokyo', currency: 'JPY' });
    // 20:00Z on 31 January is February in Tokyo, but January (UTC) billed it.
    expect(calendar.monthOf(at('2025-01-31T20:00:00Z'))).toBe('2025-01');
    expect(calendar.settings('2025-02')).toMatchObject({
      start: at('2025-02-01T00:00:00Z'),
      end: at('2025-02-28T15:00:00Z'),
      currency: 'JPY',
    });
  });

  it('keeps closed months as finalized and gives a gap month the settings of the closed month after it', () => {
    const calendar = new AccountCalendar([closed('2025-01', 'UTC', 'USD'), closed('2025-03', 'Asia/Tokyo', 'JPY')], {
      timeZone: 'America/New_York',
      currency: 'EUR',
    });
    expect(calendar.settings('2025-01')).toMatchObject({ ...monthPeriod('2025-01', 'UTC'), closed: true });
    expect(calendar.settings('2025-02')).toEqual({
      month: '2025-02',
      start: at('2025-02-01T00:00:00Z'),
      end: monthPeriod('2025-03', 'Asia/Tokyo').start,
      timeZone: 'Asia/Tokyo',
      currency: 'JPY',
      closed: true,
    });
    expect(calendar.monthOf(at('2025-02-28T16:00:00Z'))).toBe('2025-03');
    expect(calendar.settings('2025-04')).toMatchObject({
      start: monthPeriod('2025-03', 'Asia/Tokyo').end,
      currency: 'EUR',
      closed: false,
    });
  });

  it('puts every hour in exactly one month, the one whose period holds it', () => {
    // As the finalizer closes them: each closed month starts where the one before it ended.
    const march = closed('2025-03', 'Pacific/Pago_Pago');
    const april = { ...closed('2025-04', 'UTC'), periodStart: march.periodEnd };
    const calendar = new AccountCalendar([closed('2025-01', 'Pacific/Kiritimati'), march, april], {
      timeZone: 'Asia/Kolkata',
      currency: 'USD',
    });
    for (let t = at('2024-12-01T00:00:00Z'); t < at('2025-08-01T00:00:00Z'); t += 3_600_000) {
      const s = calendar.settings(calendar.monthOf(t));
      expect(t >= s.start && t < s.end, new Date(t).toISOString()).toBe(true);
    }
  });
});
