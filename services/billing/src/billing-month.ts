import { TZDate } from '@date-fns/tz';

export class BillingMonthError extends Error {
  override readonly name = 'BillingMonthError';
  readonly retryable = false;
}

/** A calendar month in an account's time zone: [start, end) in epoch ms. */
export interface MonthPeriod {
  readonly month: string;
  readonly start: number;
  readonly end: number;
}

const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

// Zones already checked: building an Intl.DateTimeFormat costs tens of microseconds, and every hour asks.
const knownTimeZones = new Set<string>();

/** Throws BillingMonthError unless the IANA time zone is known. */
export function assertTimeZone(timeZone: string): string {
  if (knownTimeZones.has(timeZone)) return timeZone;
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw new BillingMonthError(`unknown time zone: ${JSON.stringify(timeZone)}`);
  }
  knownTimeZones.add(timeZone);
  return timeZone;
}

/**
 * The instants a month covers in a time zone: from local midnight on the 1st to local midnight on the
 * 1st of the next month.
 *
 * @example
 * monthPeriod('2025-02', 'Europe/Zurich');
 * // { month: '2025-02', start: Date.parse('2025-01-31T23:00:00Z'), end: Date.parse('2025-02-28T23:00:00Z') }
 */
export function monthPeriod(month: string, timeZone: string): MonthPeriod {
  const key = `${timeZone}\u0000${month}`;
  const known = periods.get(key);
  if (known !== undefined) return known;
  const period = Object.freeze(computeMonthPeriod(month, timeZone)); // shared by every caller: nobody may change it
  if (periods.size >= MAX_PERIODS) periods.clear();
  periods.set(key, period);
  return period;
}

// Periods already computed, per zone and month: two TZDates cost microseconds, and planning 10,000 accounts asked
// for the same few months tens of thousands of times (a tenth of the finalizer's CPU).
const periods = new Map<string, MonthPeriod>();
/** Enough for every month of a century in a few hundred zones; past it the cache starts over. */
const MAX_PERIODS = 100_000;

function computeMonthPeriod(month: string, timeZone: string): MonthPeriod {
  const match = MONTH_PATTERN.exec(month);
  if (match === null) throw new BillingMonthError(`not a month (YYYY-MM): ${JSON.stringify(month)}`);
  assertTimeZone(timeZone);
  const year = Number(match[1]);
  const monthIndex = Number(match[2]) - 1;
  return {
    month,
    start: new TZDate(year, monthIndex, 1, timeZone).getTime(),
    end: new TZDate(year, monthIndex + 1, 1, timeZone).getTime(),
  };
}

/**
 * The month ('YYYY-MM') an instant falls in, in a time zone. An hour belongs to the month its start falls in.
 *
 * @example
 * monthOf(Date.parse('2025-01-31T23:30:00Z'), 'Europe/Zurich'); // '2025-02'
 */
export function monthOf(at: number, timeZone: string): string {
  assertTimeZone(timeZone);
  const local = new TZDate(at, timeZone);
  return `${String(local.getFullYear()).padStart(4, '0')}-${String(local.getMonth() + 1).padStart(2, '0')}`;
}

/**
 * The month after a month.
 *
 * @example
 * nextMonth('2025-12'); // '2026-01'
 */
export function nextMonth(month: string): string {
  const match = MONTH_PATTERN.exec(month);
  if (match === null) throw new BillingMonthError(`not a month (YYYY-MM): ${JSON.stringify(month)}`);
  const index = Number(match[1]) * 12 + Number(match[2]); // months since year 0, +1
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}
