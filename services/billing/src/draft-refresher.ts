import { inTransaction, type Pool } from '@tally/db';
import { loadAccountStates } from './account-state.ts';
import { clearDirty, lockInvoices, peekDirty } from './dirty-accounts.ts';
import { planInvoices } from './invoice-plan.ts';
import { storeDrafts } from './invoice-table.ts';
import { loadPriceBook } from './reference-tables.ts';

export interface DraftRefreshOptions {
  readonly adjustmentMonths: number;
  /** Accounts per transaction. */
  readonly batchSize: number;
}

/**
 * Rebuilds the drafts of up to `batchSize` accounts marked dirty, in one transaction (the marks are removed at its end,
 * only if not set again meanwhile; a crash leaves them for the next pass). Returns how many accounts it took.
 *
 * Drafts are previews: the finalizer plans from the stored state again and never trusts a stored draft.
 */
export async function refreshDirtyDrafts(pool: Pool, options: DraftRefreshOptions): Promise<number> {
  return inTransaction(pool, async (client) => {
    await lockInvoices(client);
    const marks = await peekDirty(client, options.batchSize);
    if (marks.length === 0) return 0;
    const accountIds = marks.map((m) => m.accountId);
    const prices = await loadPriceBook(client);
    const states = await loadAccountStates(client, accountIds, prices, options.adjustmentMonths);
    for (const [accountId, state] of states) await storeDrafts(client, accountId, planInvoices(state));
    await clearDirty(client, marks);
    return marks.length;
  });
}

/** Refreshes until no account is marked. */
export async function refreshAllDirtyDrafts(pool: Pool, options: DraftRefreshOptions): Promise<number> {
  let total = 0;
  for (let n = await refreshDirtyDrafts(pool, options); n > 0; n = await refreshDirtyDrafts(pool, options)) total += n;
  return total;
}
