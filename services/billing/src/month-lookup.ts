import { monthOf, monthPeriod, type MonthPeriod } from './billing-month.ts';

const HOUR_MS = 3_600_000;
/** Entries kept per time zone before the cache starts over (a year of hours is 8 760). */
const MAX_ENTRIES = 100_000;

const byZone = new Map<string, Map<number, MonthPeriod>>();

/**
 * The month (in a time zone) an instant falls in, with its bounds: monthPeriod(monthOf(at, timeZone), timeZone),
 * remembered per zone and hour. Building a TZDate costs microseconds, and every account-hour of a batch asks a few
 * times: the lookups took a third of the usage consumer's busy CPU in `pnpm bench billing`.
 *
 * @example
 * monthAt(Date.parse('2025-01-31T23:30:00Z'), 'Europe/Zurich').month; // '2025-02'
 */
export function monthAt(at: number, timeZone: string): MonthPeriod {
  const hour = Math.floor(at / HOUR_MS);
  const cached = byZone.get(timeZone)?.get(hour);
  // A zone with a half-hour offset starts its months inside a UTC hour: the cache answers only instants inside the
  // period it stored, and asks again otherwise.
  if (cached !== undefined && at >= cached.start && at < cached.end) return cached;
  const period = monthPeriod(monthOf(at, timeZone), timeZone); // throws for an unknown zone: nothing is cached
  let zone = byZone.get(timeZone);
  if (zone === undefined) byZone.set(timeZone, (zone = new Map<number, MonthPeriod>()));
  if (zone.size >= MAX_ENTRIES) zone.clear();
  zone.set(hour, period);
  return period;
}
