import { inTransaction, type Pool } from '@tally/db';
import { planAccounts } from './account-plans.ts';
import { clearDirty, lockInvoices, peekDirty } from './dirty-accounts.ts';
import { storeDraftsOfAccounts } from './invoice-table.ts';
import { loadPriceBook } from './reference-tables.ts';

export interface DraftRefreshOptions {
  readonly adjustmentMonths: number;
  /** Accounts per pass (planned and stored in one transaction). */
  readonly batchSize: number;
  /** Hours of usage per query when a month is streamed (see planAccount). */
  readonly chunkHours?: number;
}

/**
 * Rebuilds the drafts of up to `batchSize` accounts marked dirty, in one transaction: planned together by
 * planAccounts (each account's plan is planAccount's; memory holds each month's usage groups, and at most about
 * 5 000 usage records at a time) and stored in two statements. The marks are removed at the end of the
 * transaction, each only if not set again meanwhile; a crash leaves them for the next pass. Returns how many
 * accounts it took.
 *
 * Drafts are previews: the finalizer plans from the stored state again and never trusts a stored draft.
 */
export async function refreshDirtyDrafts(pool: Pool, options: DraftRefreshOptions): Promise<number> {
  const marks = await peekDirty(pool, options.batchSize);
  if (marks.length === 0) return 0;
  await inTransaction(pool, async (client) => {
    await lockInvoices(client);
    const prices = await loadPriceBook(client);
    const plans = await planAccounts(
      client,
      marks.map((m) => m.accountId),
      {
        prices,
        adjustmentMonths: options.adjustmentMonths,
        ...(options.chunkHours === undefined ? {} : { chunkHours: options.chunkHours }),
      },
    );
    await storeDraftsOfAccounts(client, plans);
    await clearDirty(client, marks);
  });
  return marks.length;
}

/** Refreshes until no account is marked. */
export async function refreshAllDirtyDrafts(pool: Pool, options: DraftRefreshOptions): Promise<number> {
  let total = 0;
  for (let n = await refreshDirtyDrafts(pool, options); n > 0; n = await refreshDirtyDrafts(pool, options)) total += n;
  return total;
}
