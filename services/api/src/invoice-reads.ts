import { quoteIdentifier, type Queryable } from '@tally/db';
import type { FinalizedInvoice } from '@tally/billing/runtime';
import type { InvoiceDraft } from '@tally/billing';

interface FinalizedRow {
  account_id: string;
  month: string;
  issuer: string;
  number: string;
  content_hash: string;
  finalized_at: Date;
  content: InvoiceDraft;
}

const FINALIZED_COLUMNS = 'account_id, month, issuer, number, content_hash, finalized_at, content';

const finalized = (row: FinalizedRow): FinalizedInvoice => ({
  accountId: row.account_id,
  month: row.month,
  issuer: row.issuer,
  number: row.number,
  contentHash: row.content_hash,
  finalizedAt: row.finalized_at,
  content: row.content,
});

/** One finalized invoice by its number; undefined when there is none (drafts have no number). */
export async function loadFinalizedByNumber(
  db: Queryable,
  schema: string,
  number: string,
): Promise<FinalizedInvoice | undefined> {
  const result = await db.query<FinalizedRow>(
    `SELECT ${FINALIZED_COLUMNS} FROM ${quoteIdentifier(schema)}.invoices WHERE status = 'finalized' AND number = $1`,
    [number],
  );
  const row = result.rows[0];
  return row === undefined ? undefined : finalized(row);
}

/**
 * A month's finalized invoices by number, a page at a time (the order and rows of billing's loadFinalizedOfMonth,
 * which the CLI exports), so a month of many invoices streams in bounded memory.
 */
export async function* finalizedOfMonthPages(
  db: Queryable,
  schema: string,
  month: string,
  pageSize = 200,
): AsyncGenerator<FinalizedInvoice[]> {
  let after = '';
  for (;;) {
    const result = await db.query<FinalizedRow>(
      `SELECT ${FINALIZED_COLUMNS} FROM ${quoteIdentifier(schema)}.invoices
       WHERE status = 'finalized' AND month = $1 AND number > $2 ORDER BY number LIMIT $3`,
      [month, after, pageSize],
    );
    if (result.rows.length === 0) return;
    yield result.rows.map(finalized);
    after = result.rows.at(-1)!.number;
    if (result.rows.length < pageSize) return;
  }
}
