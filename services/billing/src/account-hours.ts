import { Dec, toDecimalString } from '@tally/money';
import type { Account, BillingHourly, UsageHourly } from '@tally/records';
import { accountHour } from './account-hour.ts';
import { monthOf, monthPeriod } from './billing-month.ts';
import type { PriceBook } from './price-book.ts';

export interface AccountHoursInput {
  readonly account: Account;
  /** Hours to compute (any order). */
  readonly hours: Iterable<number>;
  /** Stored values of the account from the start of the month of the first hour to the last hour (others ignored). */
  readonly stored: ReadonlyMap<number, BillingHourly>;
  /** The account's usage in those hours, any versions. */
  readonly usage: Iterable<UsageHourly>;
  readonly prices: PriceBook;
  /** The version of the new value of an hour, given the stored one. */
  readonly versionOf: (stored: BillingHourly | undefined) => number;
}

export interface AccountHoursResult {
  readonly values: BillingHourly[];
  readonly failed: { hourStart: number; error: unknown }[];
}

/**
 * accountHour for many hours of one account in linear time: hours are swept in order and each gets the month's
 * earlier hours as a few summaries, one per price epoch (a stretch of hours in which no price of the currency
 * changes), instead of every earlier hour. accountHour only needs, per price entry, the quantity used before and the
 * month's total so far, and every hour of an epoch resolves each SKU to the same entry, so the result is the same.
 * A computed hour replaces the stored one for the hours after it.
 *
 * @example
 * computeAccountHours({ account, hours: [h1, h2], stored, usage, prices: book, versionOf: (s) => (s?.version ?? 0) + 1 });
 */
export function computeAccountHours(input: AccountHoursInput): AccountHoursResult {
  const { account, prices } = input;
  const wanted = new Set(input.hours);
  const usageByHour = new Map<number, UsageHourly[]>();
  for (const u of input.usage) {
    const list = usageByHour.get(u.hourStart) ?? [];
    list.push(u);
    usageByHour.set(u.hourStart, list);
  }
  const changes = [
    ...new Set(
      prices
        .entries()
        .filter((e) => e.currency === account.currency)
        .map((e) => e.effectiveFrom),
    ),
  ].sort((a, b) => a - b);
  const epochOf = (t: number) => changes.filter((from) => from <= t).length;

  const values: BillingHourly[] = [];
  const failed: { hourStart: number; error: unknown }[] = [];
  let period = { start: 0, end: 0 };
  let summaries = new Map<number, { hourStart: number; quantities: Map<string, Dec>; total: Dec }>();
  const add = (value: BillingHourly) => {
    const epoch = epochOf(value.hourStart);
    const summary = summaries.get(epoch) ?? {
      hourStart: value.hourStart,
      quantities: new Map<string, Dec>(),
      total: new Dec(0),
    };
    for (const l of value.lines)
      summary.quantities.set(l.sku, (summary.quantities.get(l.sku) ?? new Dec(0)).plus(l.quantity));
    summary.total = summary.total.plus(value.hourTotal);
    summaries.set(epoch, summary);
  };
  const previousHours = (): BillingHourly[] =>
    [...summaries.values()].map((s) => ({
      accountId: account.accountId,
      hourStart: s.hourStart,
      currency: account.currency,
      lines: [...s.quantities].map(([sku, q]) => ({ sku, quantity: toDecimalString(q), amount: '0' })),
      hourTotal: toDecimalString(s.total),
      monthToDate: '0',
      version: 0,
    }));

  const sweep = [...new Set([...input.stored.keys(), ...wanted])].sort((a, b) => a - b);
  for (const hourStart of sweep) {
    if (hourStart < period.start || hourStart >= period.end) {
      period = monthPeriod(monthOf(hourStart, account.timeZone), account.timeZone);
      summaries = new Map();
    }
    const stored = input.stored.get(hourStart);
    if (!wanted.has(hourStart)) {
      if (stored !== undefined) add(stored);
      continue;
    }
    try {
      const value = accountHour({
        account,
        hourStart,
        usage: usageByHour.get(hourStart) ?? [],
        previousHours: previousHours(),
        prices,
        version: input.versionOf(stored),
      });
      values.push(value);
      add(value);
    } catch (error) {
      failed.push({ hourStart, error });
      if (stored !== undefined) add(stored);
    }
  }
  return { values, failed };
}
