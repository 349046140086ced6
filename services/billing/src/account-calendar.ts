import { monthOf, monthPeriod, nextMonth, type MonthPeriod } from './billing-month.ts';

/** A month closed by a finalized invoice, with the settings it was billed under. */
export interface ClosedMonth {
  readonly month: string;
  readonly timeZone: string;
  readonly currency: string;
  readonly periodStart: number;
  readonly periodEnd: number;
}

/** The settings an account's month is billed under: its instants, time zone and currency. */
export interface MonthSettings extends MonthPeriod {
  readonly timeZone: string;
  readonly currency: string;
  /** Whether a finalized invoice closed it (late usage there becomes adjustments). */
  readonly closed: boolean;
}

/**
 * An account's months when its time zone or currency may have changed: a change takes effect from the first month
 * not yet finalized. Closed months keep the period, time zone and currency their invoice was finalized with. A month
 * after the last closed one uses the account's settings now; the first of them starts exactly where the last closed
 * one ended, so an hour is never in two months nor in none (UTC → America/New_York after January: February starts
 * at 2025-02-01T00:00Z, not 05:00Z; UTC → Asia/Tokyo: at 00:00Z, not at 2025-01-31T15:00Z). A month never invoiced
 * between two closed ones takes the settings of the closed month after it, clamped the same way.
 *
 * @example
 * const calendar = new AccountCalendar([january], { timeZone: 'America/New_York', currency: 'JPY' });
 * calendar.monthOf(Date.parse('2025-02-01T02:00:00Z')); // '2025-02' (in New York it is still January)
 */
export class AccountCalendar {
  readonly #closed: ClosedMonth[];
  readonly #byMonth: Map<string, ClosedMonth>;
  readonly #now: { readonly timeZone: string; readonly currency: string };
  #lastHit: MonthSettings | undefined;
  readonly #settings = new Map<string, MonthSettings>();

  constructor(closed: Iterable<ClosedMonth>, now: { readonly timeZone: string; readonly currency: string }) {
    this.#byMonth = new Map();
    for (const c of closed) if (!this.#byMonth.has(c.month)) this.#byMonth.set(c.month, c);
    this.#closed = [...this.#byMonth.values()].sort((a, b) => (a.month < b.month ? -1 : a.month > b.month ? 1 : 0));
    this.#now = now;
  }

  /** The last closed month, or undefined. */
  get lastClosed(): ClosedMonth | undefined {
    return this.#closed[this.#closed.length - 1];
  }

  /** The month an hour (its start) is billed in. Hours in the same month as the last one asked cost no zone lookup. */
  monthOf(hourStart: number): string {
    const hit = this.#lastHit;
    if (hit !== undefined && hourStart >= hit.start && hourStart < hit.end) return hit.month;
    const month = this.#monthOf(hourStart);
    this.#lastHit = this.settings(month);
    return month;
  }

  #monthOf(hourStart: number): string {
    const i = this.#closed.findIndex((c) => c.periodEnd > hourStart);
    const next = i === -1 ? undefined : this.#closed[i]!;
    if (next !== undefined && hourStart >= next.periodStart) return next.month;
    const previous = this.#closed[(i === -1 ? this.#closed.length : i) - 1];
    const month = monthOf(hourStart, (next ?? this.#now).timeZone);
    return previous !== undefined && month <= previous.month ? nextMonth(previous.month) : month;
  }

  /** A month's instants and settings. */
  settings(month: string): MonthSettings {
    let settings = this.#settings.get(month);
    if (settings === undefined) {
      settings = this.#compute(month);
      this.#settings.set(month, settings);
    }
    return settings;
  }

  #compute(month: string): MonthSettings {
    const closed = this.#byMonth.get(month);
    if (closed !== undefined) {
      return {
        month,
        start: closed.periodStart,
        end: closed.periodEnd,
        timeZone: closed.timeZone,
        currency: closed.currency,
        closed: true,
      };
    }
    const next = this.#closed.find((c) => c.month > month);
    const previous = this.#closed.findLast((c) => c.month < month);
    const { timeZone, currency } = next ?? this.#now;
    const natural = monthPeriod(month, timeZone);
    return {
      month,
      start: previous !== undefined && nextMonth(previous.month) === month ? previous.periodEnd : natural.start,
      end: next !== undefined && nextMonth(month) === next.month ? next.periodStart : natural.end,
      timeZone,
      currency,
      closed: next !== undefined,
    };
  }
}
