const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * A month ends at midnight in the account's time zone; the latest midnight on Earth (UTC-12) comes 12 h after
 * UTC's. A month is finalizable everywhere once that moment plus the grace has passed.
 */
const LATEST_ZONE_LAG_MS = 12 * HOUR_MS;

export interface DemoPeriod {
  /** First simulated instant (ms since epoch, UTC). */
  readonly from: number;
  /** End of the simulated period: the start of the month after it, UTC. */
  readonly end: number;
  /** The month whose invoices the demo finalizes, `YYYY-MM`. */
  readonly month: string;
}

/**
 * The history the demo simulates: the last `days` of the latest month whose grace has passed in every time zone,
 * so billing (with that same grace) finalizes its invoices as soon as it has read them. That is the previous month,
 * except early in a month (before its grace is over), when it is the month before.
 *
 * @example
 * demoPeriod(Date.parse('2026-12-20T00:00:00Z'), 2, 72).month // '2026-11'
 * demoPeriod(Date.parse('2026-12-01T05:47:00Z'), 2, 72).month // '2026-10': November's 72 h have not passed
 */
export function demoPeriod(now: number, days: number, graceHours: number): DemoPeriod {
  const today = new Date(now);
  const year = today.getUTCFullYear();
  // Date.UTC carries a negative month index into the years before.
  let monthIndex = today.getUTCMonth();
  while (Date.UTC(year, monthIndex, 1) + LATEST_ZONE_LAG_MS + graceHours * HOUR_MS > now) monthIndex -= 1;
  const end = Date.UTC(year, monthIndex, 1);
  const month = new Date(Date.UTC(year, monthIndex - 1, 1)).toISOString().slice(0, 7);
  return { from: end - days * DAY_MS, end, month };
}
