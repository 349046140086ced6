import type { Queryable } from '@tally/db';
import { invoiceHash } from './invoice-hash.ts';
import type { InvoiceDraft } from './invoice.ts';
import { formatInvoiceNumber } from './invoice-number.ts';
import type { PlannedInvoice } from './invoice-plan.ts';

/** A finalized invoice as stored: the document, its number and hash. */
export interface FinalizedInvoice {
  readonly accountId: string;
  readonly month: string;
  readonly issuer: string;
  readonly number: string;
  readonly contentHash: string;
  readonly finalizedAt: Date;
  readonly content: InvoiceDraft;
}

/** The finalized invoices of each given account (every given account is a key, maybe with an empty list). */
export async function loadFinalizedOfAccounts(
  db: Queryable,
  accountIds: readonly string[],
): Promise<Map<string, InvoiceDraft[]>> {
  const byAccount = new Map<string, InvoiceDraft[]>(accountIds.map((id) => [id, []]));
  if (accountIds.length === 0) return byAccount;
  const result = await db.query<{ account_id: string; content: InvoiceDraft }>(
    `SELECT account_id, content FROM invoices WHERE status = 'finalized' AND account_id = ANY($1::text[])`,
    [accountIds],
  );
  for (const row of result.rows) byAccount.get(row.account_id)?.push(row.content);
  return byAccount;
}

/**
 * Replaces an account's drafts with the planned ones: upserts each open month (content and hash, or the problem
 * that keeps it from being built) and deletes drafts of months no longer open. Finalized rows are never touched:
 * the upsert skips them, and the database would refuse anyway.
 */
export async function storeDrafts(db: Queryable, accountId: string, plans: readonly PlannedInvoice[]): Promise<void> {
  await db.query(`DELETE FROM invoices WHERE account_id = $1 AND status = 'draft' AND NOT (month = ANY($2::text[]))`, [
    accountId,
    plans.map((p) => p.month),
  ]);
  for (const plan of plans) {
    const invoice = plan.invoice;
    await db.query(
      `INSERT INTO invoices (account_id, month, status, currency, total, content, content_hash, problem, updated_at)
       VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, now())
       ON CONFLICT (account_id, month) DO UPDATE SET currency = EXCLUDED.currency, total = EXCLUDED.total,
         content = EXCLUDED.content, content_hash = EXCLUDED.content_hash, problem = EXCLUDED.problem, updated_at = now()
       WHERE invoices.status = 'draft'`,
      [
        accountId,
        plan.month,
        invoice?.currency ?? null,
        invoice?.total ?? null,
        invoice === undefined ? null : JSON.stringify(invoice),
        invoice === undefined ? null : invoiceHash(invoice),
        plan.problem === undefined ? null : String(plan.problem),
      ],
    );
  }
}

/**
 * Takes the next gapless number of an issuer and year. The counter row stays locked until the caller's transaction
 * ends, so a rollback returns the number and concurrent finalizers take turns.
 */
export async function nextInvoiceNumber(db: Queryable, issuer: string, prefix: string, year: number): Promise<string> {
  const result = await db.query<{ last: string }>(
    `INSERT INTO invoice_counters (issuer, year, last) VALUES ($1, $2, 1)
     ON CONFLICT (issuer, year) DO UPDATE SET last = invoice_counters.last + 1
     RETURNING last`,
    [issuer, year],
  );
  return formatInvoiceNumber(prefix, year, Number(result.rows[0]!.last));
}

/** Stores an invoice as finalized (from draft, or directly when no draft row exists yet). */
export async function storeFinalized(
  db: Queryable,
  invoice: InvoiceDraft,
  issuer: string,
  number: string,
  finalizedAt: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO invoices (account_id, month, status, issuer, number, currency, total, content, content_hash, problem,
                           finalized_at, updated_at)
     VALUES ($1, $2, 'finalized', $3, $4, $5, $6, $7, $8, NULL, $9, now())
     ON CONFLICT (account_id, month) DO UPDATE SET status = 'finalized', issuer = EXCLUDED.issuer,
       number = EXCLUDED.number, currency = EXCLUDED.currency, total = EXCLUDED.total, content = EXCLUDED.content,
       content_hash = EXCLUDED.content_hash, problem = NULL, finalized_at = EXCLUDED.finalized_at, updated_at = now()`,
    [
      invoice.accountId,
      invoice.month,
      issuer,
      number,
      invoice.currency,
      invoice.total,
      JSON.stringify(invoice),
      invoiceHash(invoice),
      finalizedAt,
    ],
  );
}

/** Finalized invoices of a month, by number (what finance exports). */
export async function loadFinalizedOfMonth(db: Queryable, month: string): Promise<FinalizedInvoice[]> {
  const result = await db.query<{
    account_id: string;
    month: string;
    issuer: string;
    number: string;
    content_hash: string;
    finalized_at: Date;
    content: InvoiceDraft;
  }>(
    `SELECT account_id, month, issuer, number, content_hash, finalized_at, content FROM invoices
     WHERE status = 'finalized' AND month = $1 ORDER BY number`,
    [month],
  );
  return result.rows.map((row) => ({
    accountId: row.account_id,
    month: row.month,
    issuer: row.issuer,
    number: row.number,
    contentHash: row.content_hash,
    finalizedAt: row.finalized_at,
    content: row.content,
  }));
}
