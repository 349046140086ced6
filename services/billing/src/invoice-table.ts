import type { Queryable } from '@tally/db';
import { invoiceHash } from './invoice-hash.ts';
import type { InvoiceDraft } from './invoice.ts';
import { formatInvoiceNumber } from './invoice-number.ts';
import type { InvoiceKind, PlannedInvoice } from './invoice-plan.ts';
import type { PriceEntry } from '@tally/records';

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

/** An account's finalized invoices, regular (they close their months) and adjustment ones. */
export interface FinalizedOfAccount {
  readonly regular: InvoiceDraft[];
  readonly adjustment: InvoiceDraft[];
}

/** The finalized invoices of many accounts (accounts without any absent). */
export async function loadFinalizedOfAccounts(
  db: Queryable,
  accountIds: readonly string[],
): Promise<Map<string, FinalizedOfAccount>> {
  const byAccount = new Map<string, FinalizedOfAccount>();
  if (accountIds.length === 0) return byAccount;
  const result = await db.query<{ account_id: string; kind: InvoiceKind; content: InvoiceDraft }>(
    `SELECT account_id, kind, content FROM invoices WHERE status = 'finalized' AND account_id = ANY($1::text[])`,
    [accountIds],
  );
  for (const row of result.rows) {
    let finalized = byAccount.get(row.account_id);
    if (finalized === undefined) {
      finalized = { regular: [], adjustment: [] };
      byAccount.set(row.account_id, finalized);
    }
    finalized[row.kind].push(row.content);
  }
  return byAccount;
}

/** The price entries the accounts' closed months were billed with, each from its own month on, per month and key. */
export async function loadBilledEntriesOfAccounts(
  db: Queryable,
  accounts: readonly { readonly accountId: string; readonly fromMonth: string | undefined }[],
): Promise<Map<string, Map<string, Map<string, PriceEntry>>>> {
  const byAccount = new Map<string, Map<string, Map<string, PriceEntry>>>();
  if (accounts.length === 0) return byAccount;
  const result = await db.query<{ account_id: string; month: string; price_entry_key: string; entry: PriceEntry }>(
    `SELECT b.account_id, b.month, b.price_entry_key, b.entry
     FROM billing_billed_entries b JOIN unnest($1::text[], $2::text[]) AS k(account_id, from_month) USING (account_id)
     WHERE b.month >= k.from_month`,
    [accounts.map((a) => a.accountId), accounts.map((a) => a.fromMonth ?? '')],
  );
  for (const row of result.rows) {
    const byMonth = byAccount.get(row.account_id) ?? new Map<string, Map<string, PriceEntry>>();
    const entries = byMonth.get(row.month) ?? new Map<string, PriceEntry>();
    entries.set(row.price_entry_key, row.entry);
    byMonth.set(row.month, entries);
    byAccount.set(row.account_id, byMonth);
  }
  return byAccount;
}

/**
 * storeDrafts for many accounts in three statements: each account's drafts become exactly its planned ones. Accounts
 * absent from `plans` (not known yet) are left alone.
 */
export async function storeDraftsOfAccounts(
  db: Queryable,
  plans: ReadonlyMap<string, readonly PlannedInvoice[]>,
): Promise<void> {
  if (plans.size === 0) return;
  const all = [...plans].flatMap(([accountId, list]) => list.map((plan) => ({ accountId, plan })));
  await db.query(
    `DELETE FROM invoices i WHERE i.status = 'draft' AND i.account_id = ANY($1::text[])
       AND NOT EXISTS (SELECT 1 FROM unnest($2::text[], $3::text[], $4::text[]) AS p(account_id, month, currency)
                       WHERE p.account_id = i.account_id AND p.month = i.month AND p.currency = i.currency)`,
    [[...plans.keys()], all.map((a) => a.accountId), all.map((a) => a.plan.month), all.map((a) => a.plan.currency)],
  );
  if (all.length === 0) return;
  await db.query(
    `INSERT INTO invoices (account_id, month, currency, kind, status, total, content, content_hash, problem, updated_at)
     SELECT a, m, c, k, 'draft', t, j, h, p, now()
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::numeric[], $6::jsonb[], $7::text[], $8::text[])
       AS d(a, m, c, k, t, j, h, p)
     ON CONFLICT (account_id, month, currency) DO UPDATE SET kind = EXCLUDED.kind, total = EXCLUDED.total,
       content = EXCLUDED.content, content_hash = EXCLUDED.content_hash, problem = EXCLUDED.problem, updated_at = now()
     WHERE invoices.status = 'draft'`,
    [
      all.map((a) => a.accountId),
      all.map((a) => a.plan.month),
      all.map((a) => a.plan.currency),
      all.map((a) => a.plan.kind),
      all.map((a) => a.plan.invoice?.total ?? null),
      all.map((a) => (a.plan.invoice === undefined ? null : JSON.stringify(a.plan.invoice))),
      all.map((a) => (a.plan.invoice === undefined ? null : invoiceHash(a.plan.invoice))),
      all.map((a) => (a.plan.problem === undefined ? null : String(a.plan.problem))),
    ],
  );
}

/**
 * Takes the next `count` gapless numbers of an issuer and year at once, ascending. The counter row stays locked until
 * the caller's transaction ends, so a rollback returns them and concurrent finalizers take turns.
 */
export async function nextInvoiceNumbers(
  db: Queryable,
  issuer: string,
  prefix: string,
  year: number,
  count: number,
): Promise<string[]> {
  if (count === 0) return [];
  const result = await db.query<{ last: string }>(
    `INSERT INTO invoice_counters (issuer, year, last) VALUES ($1, $2, $3)
     ON CONFLICT (issuer, year) DO UPDATE SET last = invoice_counters.last + $3
     RETURNING last`,
    [issuer, year, count],
  );
  const last = Number(result.rows[0]!.last);
  return Array.from({ length: count }, (_, i) => formatInvoiceNumber(prefix, year, last - count + 1 + i));
}

/**
 * Stores invoices as finalized (from draft, or directly when no draft row exists yet), with the price entries their
 * lines were billed with (first writer per account, month and key wins: the entry a month was first billed with).
 */
export async function storeFinalizedBatch(
  db: Queryable,
  items: readonly { plan: Extract<PlannedInvoice, { invoice: InvoiceDraft }>; number: string }[],
  issuer: string,
  finalizedAt: Date,
): Promise<void> {
  if (items.length === 0) return;
  await db.query(
    `INSERT INTO invoices (account_id, month, currency, kind, status, issuer, number, total, content, content_hash,
                           problem, finalized_at, updated_at)
     SELECT a, m, c, k, 'finalized', $1, n, t, j, h, NULL, $2, now()
     FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::numeric[], $9::jsonb[], $10::text[])
       AS f(a, m, c, k, n, t, j, h)
     ON CONFLICT (account_id, month, currency) DO UPDATE SET status = 'finalized', kind = EXCLUDED.kind,
       issuer = EXCLUDED.issuer, number = EXCLUDED.number, total = EXCLUDED.total, content = EXCLUDED.content,
       content_hash = EXCLUDED.content_hash, problem = NULL, finalized_at = EXCLUDED.finalized_at, updated_at = now()`,
    [
      issuer,
      finalizedAt,
      items.map((i) => i.plan.invoice.accountId),
      items.map((i) => i.plan.invoice.month),
      items.map((i) => i.plan.invoice.currency),
      items.map((i) => i.plan.kind),
      items.map((i) => i.number),
      items.map((i) => i.plan.invoice.total),
      items.map((i) => JSON.stringify(i.plan.invoice)),
      items.map((i) => invoiceHash(i.plan.invoice)),
    ],
  );
  const rows = items.flatMap(({ plan }) =>
    [...plan.entries].flatMap(([month, entries]) =>
      [...entries].map(([key, entry]) => ({ accountId: plan.invoice.accountId, month, key, entry })),
    ),
  );
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO billing_billed_entries (account_id, month, price_entry_key, entry)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[])
     ON CONFLICT DO NOTHING`,
    [
      rows.map((r) => r.accountId),
      rows.map((r) => r.month),
      rows.map((r) => r.key),
      rows.map((r) => JSON.stringify(r.entry)),
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
