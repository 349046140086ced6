import type { Queryable } from '@tally/db';

/** Marks accounts whose drafts must be rebuilt; call it in the transaction that changed their inputs. */
export async function markDirty(db: Queryable, accountIds: Iterable<string>): Promise<void> {
  const ids = [...new Set(accountIds)].sort();
  if (ids.length === 0) return;
  await db.query(
    `INSERT INTO billing_dirty_accounts (account_id) SELECT * FROM unnest($1::text[])
     ON CONFLICT (account_id) DO UPDATE SET seq = EXCLUDED.seq`,
    [ids],
  );
}

/** Marks every account that has a draft in one of the currencies (a price for them arrived or changed). */
export async function markDirtyByCurrency(db: Queryable, currencies: readonly string[]): Promise<void> {
  if (currencies.length === 0) return;
  await db.query(
    `INSERT INTO billing_dirty_accounts (account_id)
     SELECT DISTINCT i.account_id FROM invoices i JOIN billing_accounts a USING (account_id)
     WHERE i.status = 'draft' AND a.currency = ANY($1::text[])
     ON CONFLICT (account_id) DO UPDATE SET seq = EXCLUDED.seq`,
    [[...new Set(currencies)]],
  );
}

/** A mark as read: the account and the seq of its latest marking. */
export interface DirtyMark {
  readonly accountId: string;
  readonly seq: string;
}

/** Reads up to `limit` marks without locking them (consumers keep marking while drafts are rebuilt). */
export async function peekDirty(db: Queryable, limit: number): Promise<DirtyMark[]> {
  const result = await db.query<{ account_id: string; seq: string }>(
    `SELECT account_id, seq FROM billing_dirty_accounts ORDER BY account_id COLLATE "C" LIMIT $1`,
    [limit],
  );
  return result.rows.map((row) => ({ accountId: row.account_id, seq: row.seq }));
}

/** Removes the marks that were rebuilt for; a mark re-set meanwhile has a new seq and stays. */
export async function clearDirty(db: Queryable, marks: readonly DirtyMark[]): Promise<void> {
  if (marks.length === 0) return;
  await db.query(
    `DELETE FROM billing_dirty_accounts d USING unnest($1::text[], $2::bigint[]) AS m(account_id, seq)
     WHERE d.account_id = m.account_id AND d.seq = m.seq`,
    [marks.map((m) => m.accountId), marks.map((m) => m.seq)],
  );
}

/**
 * Serializes the invoice writers (draft refresher, finalizer) across processes for the rest of the transaction.
 * Consumers do not take it: they never write invoices, only marks. Keyed by schema: advisory locks are database-wide.
 */
export async function lockInvoices(db: Queryable): Promise<void> {
  await db.query(`SELECT pg_advisory_xact_lock(hashtext('tally.billing.invoices:' || current_schema()))`);
}
