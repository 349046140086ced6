import type { Queryable } from '@tally/db';
import {
  accountCalendar,
  adjustmentWindowStart,
  monthsToBuild,
  planFromGroups,
  type AccountPlanInput,
  type MonthGroups,
  type PlannedInvoice,
} from './invoice-plan.ts';
import { loadBilledEntries, loadFinalizedOfAccount } from './invoice-table.ts';
import { MissingPriceError } from './missing-price-error.ts';
import { UsageGroupAccumulator } from './month-usage.ts';
import type { PriceSource } from './price-book.ts';
import { loadAccounts } from './reference-tables.ts';
import { forEachUsageOfAccount, loadUsageHoursOfAccount } from './usage-table.ts';

export interface AccountPlanOptions {
  readonly prices: PriceSource;
  readonly adjustmentMonths: number;
  /** Hours of usage per query when a month is streamed (memory: instances × this many rows at a time). */
  readonly chunkHours?: number;
}

/**
 * Plans one account's invoices from the stored state, within bounded memory: the account's finalized invoices (a few
 * per year), the hours it has usage in, then each month it builds streamed in chunks into its usage groups (only
 * the groups are kept). Never the account's whole usage history, never several accounts at once. undefined when
 * the account is not known yet (its usage waits).
 *
 * @example
 * const plans = await planAccount(client, 'acct-1', { prices, adjustmentMonths: 3 });
 */
export async function planAccount(
  db: Queryable,
  accountId: string,
  options: AccountPlanOptions,
): Promise<PlannedInvoice[] | undefined> {
  const account = (await loadAccounts(db, [accountId])).get(accountId);
  if (account === undefined) return undefined;
  const finalized = await loadFinalizedOfAccount(db, accountId);
  const partial = { account, finalized: finalized.regular };
  const last = accountCalendar(partial).lastClosed;
  const windowStart = adjustmentWindowStart(last?.month, options.adjustmentMonths);
  const input: AccountPlanInput = {
    ...partial,
    adjustmentInvoices: finalized.adjustment,
    billedEntries: await loadBilledEntries(db, accountId, windowStart),
    prices: options.prices,
    adjustmentMonths: options.adjustmentMonths,
  };
  const from = windowStart === undefined ? undefined : accountCalendar(partial).settings(windowStart).start;
  const months = monthsToBuild(input, await loadUsageHoursOfAccount(db, accountId, from));
  const groups = new Map<string, MonthGroups>();
  for (const month of months) {
    const acc = new UsageGroupAccumulator(accountId, month.currency, month, options.prices);
    try {
      await forEachUsageOfAccount(db, accountId, month, (record) => acc.add(record), options.chunkHours);
      groups.set(month.month, acc.groups());
    } catch (error) {
      if (!(error instanceof MissingPriceError)) throw error;
      groups.set(month.month, error); // a SKU without a price: the month waits (README, "Missing prices")
    }
  }
  return planFromGroups(input, months, groups);
}
