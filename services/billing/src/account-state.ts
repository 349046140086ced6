import type { Queryable } from '@tally/db';
import { monthPeriod } from './billing-month.ts';
import { adjustmentWindowStart, lastFinalizedMonth, type AccountBillingState } from './invoice-plan.ts';
import { loadFinalizedOfAccounts } from './invoice-table.ts';
import type { PriceSource } from './price-book.ts';
import { loadAccounts } from './reference-tables.ts';
import { loadUsageOfAccounts } from './usage-table.ts';

/**
 * Loads what planInvoices needs for each account, in three queries whatever the number of accounts. Accounts not
 * known yet (no accounts record) are absent from the result: their usage waits.
 */
export async function loadAccountStates(
  db: Queryable,
  accountIds: readonly string[],
  prices: PriceSource,
  adjustmentMonths: number,
): Promise<Map<string, AccountBillingState>> {
  const accounts = await loadAccounts(db, accountIds);
  const known = accountIds.filter((id) => accounts.has(id));
  const finalized = await loadFinalizedOfAccounts(db, known);
  const from = new Map<string, number | undefined>();
  for (const id of known) {
    const account = accounts.get(id)!;
    const windowStart = adjustmentWindowStart(lastFinalizedMonth(finalized.get(id) ?? []), adjustmentMonths);
    from.set(id, windowStart === undefined ? undefined : monthPeriod(windowStart, account.timeZone).start);
  }
  const usage = await loadUsageOfAccounts(db, from);
  const states = new Map<string, AccountBillingState>();
  for (const id of known) {
    states.set(id, {
      account: accounts.get(id)!,
      finalized: finalized.get(id) ?? [],
      usage: usage.get(id) ?? [],
      prices,
      adjustmentMonths,
    });
  }
  return states;
}
