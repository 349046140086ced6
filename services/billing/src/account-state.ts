import type { Queryable } from '@tally/db';
import type { Account } from '@tally/records';
import type { AccountCalendar } from './account-calendar.ts';
import { nextMonth } from './billing-month.ts';
import {
  accountCalendar,
  adjustmentWindowStart,
  monthsToBuild,
  planFromGroups,
  type AccountPlanInput,
  type MonthGroups,
  type PlannedInvoice,
} from './invoice-plan.ts';
import { loadBilledEntriesOfAccounts, loadFinalizedOfAccounts } from './invoice-table.ts';
import { MissingPriceError } from './missing-price-error.ts';
import { UsageGroupAccumulator } from './month-usage.ts';
import type { PriceBook } from './price-book.ts';
import { loadAccounts } from './reference-tables.ts';
import { computeSku, BYTES_PER_GB, EGRESS_SKU, INGRESS_SKU, SECONDS_PER_HOUR } from './usage-measures.ts';
import { loadUsageRanges, loadUsageSums } from './usage-table.ts';

export interface AccountPlanOptions {
  readonly prices: PriceBook;
  readonly adjustmentMonths: number;
}

/**
 * Plans one account's invoices from the stored state (planAccounts for one account). undefined when the account is
 * not known yet (its usage waits).
 *
 * @example
 * const plans = await planAccount(client, 'acct-1', { prices, adjustmentMonths: 3 });
 */
export async function planAccount(
  db: Queryable,
  accountId: string,
  options: AccountPlanOptions,
): Promise<PlannedInvoice[] | undefined> {
  return (await planAccounts(db, [accountId], options)).get(accountId);
}

/**
 * Plans the invoices of many accounts from the stored state in a few set-based queries, within bounded memory: the
 * accounts' finalized invoices (a few per year each), the first and last hour of usage each has in its window, then
 * its usage summed by PostgreSQL per (account, instance type, stretch): a stretch is a span of hours in which no
 * month boundary of the account and no price change falls, so every hour of it belongs to the same month and
 * resolves each SKU to the same price entry, and summing its whole seconds and bytes before grouping gives exactly
 * the groups that adding its records one by one gives. Rows held: accounts × instance types × stretches, never the
 * usage itself (a month of 500 instances is 372 000 usage rows and a few dozen sums). Accounts not known yet are
 * absent from the result (their usage waits).
 *
 * @example
 * const plans = await planAccounts(client, ['acct-1', 'acct-2'], { prices, adjustmentMonths: 3 });
 */
export async function planAccounts(
  db: Queryable,
  accountIds: readonly string[],
  options: AccountPlanOptions,
): Promise<Map<string, PlannedInvoice[]>> {
  const plans = new Map<string, PlannedInvoice[]>();
  const accounts = await loadAccounts(db, [...new Set(accountIds)]);
  if (accounts.size === 0) return plans;
  const ids = [...accounts.keys()];
  const finalized = await loadFinalizedOfAccounts(db, ids);
  const frames = new Map<string, { account: Account; calendar: AccountCalendar; window: string | undefined }>();
  for (const [id, account] of accounts) {
    const partial = { account, finalized: finalized.get(id)?.regular ?? [] };
    const calendar = accountCalendar(partial);
    frames.set(id, {
      account,
      calendar,
      window: adjustmentWindowStart(calendar.lastClosed?.month, options.adjustmentMonths),
    });
  }
  const fromOf = (id: string): number | undefined => {
    const frame = frames.get(id)!;
    return frame.window === undefined ? undefined : frame.calendar.settings(frame.window).start;
  };
  const billed = await loadBilledEntriesOfAccounts(
    db,
    ids.map((id) => ({ accountId: id, fromMonth: frames.get(id)!.window })),
  );
  const ranges = await loadUsageRanges(
    db,
    ids.map((id) => ({ accountId: id, from: fromOf(id) })),
  );

  // Stretch boundaries: every price change, and every month boundary of each account between its first and last hour.
  const boundaries = new Set<number>(options.prices.entries().map((e) => e.effectiveFrom));
  for (const [id, range] of ranges) {
    const { calendar } = frames.get(id)!;
    const last = calendar.monthOf(range.last);
    for (let month = calendar.monthOf(range.first); ; month = nextMonth(month)) {
      const settings = calendar.settings(month);
      boundaries.add(settings.start).add(settings.end);
      if (month >= last) break;
    }
  }
  const sums = await loadUsageSums(
    db,
    [...ranges.keys()].map((id) => ({ accountId: id, from: fromOf(id) })),
    [...boundaries].sort((a, b) => a - b),
  );

  for (const [id, frame] of frames) {
    const { account } = frame;
    const accountFinalized = finalized.get(id) ?? { regular: [], adjustment: [] };
    const input: AccountPlanInput = {
      account,
      finalized: accountFinalized.regular,
      adjustmentInvoices: accountFinalized.adjustment,
      billedEntries: billed.get(id) ?? new Map(),
      prices: options.prices,
      adjustmentMonths: options.adjustmentMonths,
    };
    const stretches = sums.get(id) ?? [];
    const months = monthsToBuild(
      input,
      stretches.map((s) => s.firstHour),
    );
    const groups = new Map<string, MonthGroups>();
    for (const month of months) {
      const acc = new UsageGroupAccumulator(id, month.currency, month, options.prices);
      try {
        for (const s of stretches) {
          if (s.firstHour < month.start || s.firstHour >= month.end) continue;
          acc.addUnits(s.firstHour, computeSku(s.instanceType), s.runningSeconds, SECONDS_PER_HOUR);
          acc.addUnits(s.firstHour, EGRESS_SKU, s.txBytes, BYTES_PER_GB);
          acc.addUnits(s.firstHour, INGRESS_SKU, s.rxBytes, BYTES_PER_GB);
        }
        groups.set(month.month, acc.groups());
      } catch (error) {
        if (!(error instanceof MissingPriceError)) throw error;
        groups.set(month.month, error); // a SKU without a price: the month waits (README, "Missing prices")
      }
    }
    plans.set(id, planFromGroups(input, months, groups));
  }
  return plans;
}
