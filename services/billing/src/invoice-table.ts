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

/** The finalized invoices of one account: a few per year, the frame of every plan. */
export async function loadFinalizedOfAccount(db: Queryable, accountId: string): Promise<FinalizedOfAccount> {
  const result = await db.query<{ kind: InvoiceKind; content: InvoiceDraft }>(
    `SELECT kind, content FROM invoices WHERE status = 'finalized' AND account_id = $1`,
    [accountId],
  );
  const finalized: FinalizedOfAccount = { regular: [], adjustment: [] };
  for (const row of result.rows) finalized[row.kind].push(row.content);
  return finalized;
}

/** The price entries an account's closed months were billed with (from `fromMonth` on), per month and key. */
export async function loadBilledEntries(
  db: Queryable,
  accountId: string,
  fromMonth: string | undefined,
): Promise<Map<string, Map<string, PriceEntry>>> {
  const result = await db.query<{ month: string; price_entry_key: string; entry: PriceEntry }>(
    `SELECT month, price_entry_key, entry FROM billing_billed_entries WHERE account_id = $1 AND month >= $2`,
    [accountId, fromMonth ?? ''],
  );
  const byMonth = new Map<string, Map<string, PriceEntry>>();
  for (const row of result.rows) {
    const entries = byMonth.get(row.month) ?? new Map<string, PriceEntry>();
    entries.set(row.price_entry_key, row.entry);
    byMonth.set(row.month, entries);
  }
  return byMonth;
}

/** loadFinalizedOfAccount for many accounts in one query (accounts without any finalized invoice are absent). */
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

/** loadBilledEntries for many accounts in one query, each from its own month on (accounts without any are absent). */
export async function loadBilledEntriesOfAccounts(
  db: Queryable,
  accounts: readonly { readonly accountId: string; readonly fromMonth: string | undefined }[],
): Promise<Map<string, Map<string, Map<string, PriceEntry>>>> {
  const byAccount = new Map<string, Map<string, Map<string, PriceEntry>>>();
  if (accounts.length === 0) return byAccount;
  const result = await db.query<{ account_id: string; month: string; price_entry_key: string; entry: PriceEntry }>(
    `SELECT b.account_id, b.month, b.price_entry_key, b.entry
     FROM unnest($1::text[], $2::text[]) AS k(account_id, from_month)
     JOIN billing_billed_entries b ON b.account_id = k.account_id AND b.month >= k.from_month`,
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
 * Replaces the drafts of many accounts with their planned ones, in two statements: upserts each planned invoice
 * (content and hash, or the problem that keeps it from being built) and deletes drafts no longer planned. Accounts
 * absent from `plans` (not known yet) are left alone; finalized rows are never touched: the upsert skips them, and
 * the database would refuse anyway.
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

/**
 * Stores an invoice as finalized (from draft, or directly when no draft row exists yet), with the price entries its
 * lines were billed with (first writer per account, month and key wins: the entry a month was first billed with).
 */
export async function storeFinalized(
  db: Queryable,
  plan: Extract<PlannedInvoice, { invoice: InvoiceDraft }>,
  issuer: string,
  number: string,
  finalizedAt: Date,
): Promise<void> {
  const { invoice } = plan;
  await db.query(
    `INSERT INTO invoices (account_id, month, currency, kind, status, issuer, number, total, content, content_hash,
                           problem, finalized_at, updated_at)
     VALUES ($1, $2, $3, $4, 'finalized', $5, $6, $7, $8, $9, NULL, $10, now())
     ON CONFLICT (account_id, month, currency) DO UPDATE SET status = 'finalized', kind = EXCLUDED.kind,
       issuer = EXCLUDED.issuer, number = EXCLUDED.number, total = EXCLUDED.total, content = EXCLUDED.content,
       content_hash = EXCLUDED.content_hash, problem = NULL, finalized_at = EXCLUDED.finalized_at, updated_at = now()`,
    [
      invoice.accountId,
      invoice.month,
      invoice.currency,
      plan.kind,
      issuer,
      number,
      invoice.total,
      JSON.stringify(invoice),
      invoiceHash(invoice),
      finalizedAt,
    ],
  );
  const rows = [...plan.entries].flatMap(([month, entries]) =>
    [...entries].map(([key, entry]) => ({ month, key, entry })),
  );
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO billing_billed_entries (account_id, month, price_entry_key, entry)
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::jsonb[])
     ON CONFLICT DO NOTHING`,
    [invoice.accountId, rows.map((r) => r.month), rows.map((r) => r.key), rows.map((r) => JSON.stringify(r.entry))],
  );
}

/**
 * Takes the next `count` gapless numbers of an issuer and year in one statement, ascending: what `count` calls of
 * nextInvoiceNumber in a row take. The counter row stays locked until the caller's transaction ends.
 *
 * @example
 * await nextInvoiceNumbers(client, 'tally', 'INV', 2026, 3); // ['INV-2026-000001', 'INV-2026-000002', 'INV-2026-000003']
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
     ON CONFLICT (issuer, year) DO UPDATE SET last = invoice_counters.last + EXCLUDED.last
     RETURNING last`,
    [issuer, year, count],
  );
  const last = Number(result.rows[0]!.last);
  return Array.from({ length: count }, (_, i) => formatInvoiceNumber(prefix, year, last - count + 1 + i));
}

/** A planned invoice with the number it is finalized under. */
export interface NumberedInvoice {
  readonly plan: Extract<PlannedInvoice, { invoice: InvoiceDraft }>;
  readonly number: string;
  /** invoiceHash(plan.invoice). */
  readonly hash: string;
}

/**
 * storeFinalized for many invoices in two statements (the invoices, then their billed entries; first writer per
 * account, month and key wins, in the order given). At most one invoice per (account, month, currency).
 */
export async function storeFinalizedMany(
  db: Queryable,
  items: readonly NumberedInvoice[],
  issuer: string,
  finalizedAt: Date,
): Promise<void> {
  if (items.length === 0) return;
  await db.query(
    `INSERT INTO invoices (account_id, month, currency, kind, status, issuer, number, total, content, content_hash,
                           problem, finalized_at, updated_at)
     SELECT a, m, c, k, 'finalized', $1, n, t, j, h, NULL, $2, now()
     FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::numeric[], $9::jsonb[], $10::text[])
       WITH ORDINALITY AS f(a, m, c, k, n, t, j, h, o)
     ORDER BY o
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
      items.map((i) => i.hash),
    ],
  );
  const seen = new Set<string>();
  const rows = items.flatMap(({ plan }) =>
    [...plan.entries].flatMap(([month, entries]) =>
      [...entries].flatMap(([key, entry]) => {
        // ON CONFLICT cannot see a row the same statement inserted: the first of the batch is kept, as one by one.
        const id = `${plan.invoice.accountId}\u0000${month}\u0000${key}`;
        if (seen.has(id)) return [];
        seen.add(id);
        return [{ accountId: plan.invoice.accountId, month, key, entry }];
      }),
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
