import type { Queryable } from '@tally/db';
import { account as accountSchema, type Account, type Payment, type PriceEntry } from '@tally/records';
import { PriceBook } from './price-book.ts';
import { priceEntryKey } from './price-entry-key.ts';

/** Stores price entries by priceEntryKey; a later value for a key replaces the earlier (as compaction does). */
export async function upsertPrices(db: Queryable, entries: readonly PriceEntry[]): Promise<void> {
  const latest = new Map(entries.map((e) => [priceEntryKey(e), e]));
  if (latest.size === 0) return;
  const values = [...latest.values()];
  await db.query(
    `INSERT INTO billing_prices (key, sku, currency, effective_from, entry)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::jsonb[])
     ON CONFLICT (key) DO UPDATE SET entry = EXCLUDED.entry`,
    [
      [...latest.keys()],
      values.map((e) => e.sku),
      values.map((e) => e.currency),
      values.map((e) => e.effectiveFrom),
      values.map((e) => JSON.stringify(e)),
    ],
  );
}

/** The whole price book as stored (small: a few entries per SKU and currency). */
export async function loadPriceBook(db: Queryable): Promise<PriceBook> {
  const result = await db.query<{ entry: PriceEntry }>('SELECT entry FROM billing_prices ORDER BY key');
  return PriceBook.from(result.rows.map((row) => row.entry));
}

/**
 * The stored price book's content as one digest (md5 over its keys and entries in key order), so a pass that read the
 * book without a lock can tell, under lockPricesShared, whether a price changed since (priceBookFingerprint).
 */
const FINGERPRINT = `md5(coalesce(string_agg(key || E'\\n' || entry::text, E'\\n' ORDER BY key COLLATE "C"), ''))`;

/** The price book and its fingerprint, read in one statement (one snapshot). */
export async function loadPriceBookSnapshot(db: Queryable): Promise<{ book: PriceBook; fingerprint: string }> {
  const result = await db.query<{ entries: PriceEntry[] | null; fingerprint: string }>(
    `SELECT json_agg(entry ORDER BY key) AS entries, ${FINGERPRINT} AS fingerprint FROM billing_prices`,
  );
  const row = result.rows[0]!;
  return { book: PriceBook.from(row.entries ?? []), fingerprint: row.fingerprint };
}

/** The fingerprint loadPriceBookSnapshot gives for the price book as stored now. */
export async function priceBookFingerprint(db: Queryable): Promise<string> {
  const result = await db.query<{ fingerprint: string }>(`SELECT ${FINGERPRINT} AS fingerprint FROM billing_prices`);
  return result.rows[0]!.fingerprint;
}

/** Stores the latest value per account (records in offset order: the last one wins). */
export async function upsertAccounts(db: Queryable, accounts: readonly Account[]): Promise<void> {
  const latest = new Map(accounts.map((a) => [a.accountId, a]));
  if (latest.size === 0) return;
  const values = [...latest.values()];
  await db.query(
    `INSERT INTO billing_accounts (account_id, currency, record)
     SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])
     ON CONFLICT (account_id) DO UPDATE SET currency = EXCLUDED.currency, record = EXCLUDED.record`,
    [[...latest.keys()], values.map((a) => a.currency), values.map((a) => JSON.stringify(a))],
  );
}

export async function loadAccounts(db: Queryable, ids: readonly string[]): Promise<Map<string, Account>> {
  if (ids.length === 0) return new Map();
  const result = await db.query<{ record: unknown }>(
    'SELECT record FROM billing_accounts WHERE account_id = ANY($1::text[])',
    [ids],
  );
  // Rows stored before accounts gained address and unsubscribed lack them: parsing gives them their defaults, as
  // decoding an old record does, so a loaded Account is whole.
  const accounts = result.rows.map((row) => accountSchema.parse(row.record));
  return new Map(accounts.map((a) => [a.accountId, a]));
}

/** Payments are facts: stored once per payment id, a redelivery changes nothing. */
export async function insertPayments(db: Queryable, payments: readonly Payment[]): Promise<void> {
  if (payments.length === 0) return;
  await db.query(
    `INSERT INTO billing_payments (payment_id, account_id, invoice_number, at, record)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::jsonb[])
     ON CONFLICT (payment_id) DO NOTHING`,
    [
      payments.map((p) => p.paymentId),
      payments.map((p) => p.accountId),
      payments.map((p) => p.invoiceNumber),
      payments.map((p) => p.at),
      payments.map((p) => JSON.stringify(p)),
    ],
  );
}
