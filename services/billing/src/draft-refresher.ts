import { inTransaction, type Pool } from '@tally/db';
import { planAccount } from './account-state.ts';
import { clearDirty, lockInvoices, peekDirty } from './dirty-accounts.ts';
import { storeDrafts } from './invoice-table.ts';
import { loadPriceBook } from './reference-tables.ts';

export interface DraftRefreshOptions {
  readonly adjustmentMonths: number;
  /** Accounts per pass (each in its own transaction). */
  readonly batchSize: number;
  /** Hours of usage per query when a month is streamed (see planAccount). */
  readonly chunkHours?: number;
}

/**
 * Rebuilds the drafts of up to `batchSize` accounts marked dirty, one account per transaction, so memory holds one
 * account's plan at a time (planAccount streams each month it builds). Each mark is removed at the end of its
 * account's transaction, only if not set again meanwhile; a crash leaves it for the next pass. Returns how many
 * accounts it took.
 *
 * Drafts are previews: the finalizer plans from the stored state again and never trusts a stored draft.
 */
export async function refreshDirtyDrafts(pool: Pool, options: DraftRefreshOptions): Promise<number> {
  const marks = await peekDirty(pool, options.batchSize);
  for (const mark of marks) {
    await inTransaction(pool, async (client) => {
      await lockInvoices(client);
      const prices = await loadPriceBook(client);
      const plans = await planAccount(client, mark.accountId, {
        prices,
        adjustmentMonths: options.adjustmentMonths,
        ...(options.chunkHours === undefined ? {} : { chunkHours: options.chunkHours }),
      });
      if (plans !== undefined) await storeDrafts(client, mark.accountId, plans);
      await clearDirty(client, [mark]);
    });
  }
  return marks.length;
}

/** Refreshes until no account is marked. */
export async function refreshAllDirtyDrafts(pool: Pool, options: DraftRefreshOptions): Promise<number> {
  let total = 0;
  for (let n = await refreshDirtyDrafts(pool, options); n > 0; n = await refreshDirtyDrafts(pool, options)) total += n;
  return total;
}
