import type { Queryable } from '@tally/db';
import type { PriceEntry } from '@tally/records';
import { priceEntryKey } from './price-entry-key.ts';

/**
 * The entries (the last per key, as upsertPrices stores them) that the stored price book lacks or holds with another
 * value: only those can change stored hours. Call it before storing them, so a replay of the prices topic marks
 * nothing instead of every account's whole history.
 *
 * @example
 * const changed = await changedPrices(client, entries); await upsertPrices(client, entries);
 */
export async function changedPrices(db: Queryable, entries: readonly PriceEntry[]): Promise<PriceEntry[]> {
  const latest = new Map(entries.map((e) => [priceEntryKey(e), e]));
  if (latest.size === 0) return [];
  const same = await db.query<{ key: string }>(
    `SELECT p.key FROM billing_prices p JOIN unnest($1::text[], $2::jsonb[]) AS k(key, entry) USING (key)
     WHERE p.entry = k.entry`,
    [[...latest.keys()], [...latest.values()].map((e) => JSON.stringify(e))],
  );
  for (const { key } of same.rows) latest.delete(key);
  return [...latest.values()];
}

/**
 * Marks stale (billing_hourly_stale, as markLaterHoursStale does) every account of an entry's currency that has stored
 * hours the entry now prices: from its effectiveFrom up to the next stored entry of its SKU and currency (where it
 * stops applying). Those values were computed with the book as it was (a backdated correction, or prices replayed
 * after usage), and nothing else recomputes them; refreshStaleHours does, so billing.hourly ends as a rebuild with the
 * price first gives it (invariant 3). An entry later than every stored hour (the usual case) marks nothing.
 *
 * The mark's from_hour is effectiveFrom - 1 ("stored hours after from_hour are stale", as the consumers fold marks);
 * to_hour the account's latest stored hour in the entry's span: the stale pass recomputes to the end of that hour's
 * month, whose later month-to-date values moved too. Call it in the prices consumer's transaction after the entries
 * are stored, under lockPricesExclusive: the usage consumer and the stale pass, which take lockPricesShared, do not
 * write marks meanwhile. Set-based: one pass over the accounts of the currencies, one backward index probe of
 * billing_hourly (account_id, hour_start) per account and entry; rows upserted in account order.
 *
 * @example
 * await markHoursStaleForPrices(client, [entry('compute.s1.small', 'USD', '2025-03-01T00:00:00Z', perUnit('2'))]);
 */
export async function markHoursStaleForPrices(db: Queryable, entries: readonly PriceEntry[]): Promise<number> {
  const spans = new Map(entries.map((e) => [`${e.sku}|${e.currency}|${e.effectiveFrom}`, e]));
  if (spans.size === 0) return 0;
  const list = [...spans.values()];
  const result = await db.query(
    `INSERT INTO billing_hourly_stale (account_id, from_hour, to_hour)
     SELECT a.account_id, min(e.from_ms) - 1, max(h.hour_start)
     FROM (
       SELECT k.currency, k.from_ms,
         -- No later entry: no end (the bound stays an index condition, not a filter walking back over later hours).
         coalesce((SELECT min(p.effective_from) FROM billing_prices p
           WHERE p.sku = k.sku AND p.currency = k.currency AND p.effective_from > k.from_ms),
           9223372036854775807) AS end_ms
       FROM unnest($1::text[], $2::text[], $3::bigint[]) AS k(sku, currency, from_ms)) AS e
     JOIN billing_accounts a ON a.currency = e.currency
     CROSS JOIN LATERAL (
       SELECT h.hour_start FROM billing_hourly h
       WHERE h.account_id = a.account_id AND h.hour_start >= e.from_ms AND h.hour_start < e.end_ms
       ORDER BY h.hour_start DESC LIMIT 1) AS h
     GROUP BY a.account_id
     ORDER BY a.account_id COLLATE "C"
     ON CONFLICT (account_id) DO UPDATE SET from_hour = LEAST(billing_hourly_stale.from_hour, EXCLUDED.from_hour),
       to_hour = GREATEST(billing_hourly_stale.to_hour, EXCLUDED.to_hour), seq = EXCLUDED.seq, marked_at = now()`,
    [list.map((e) => e.sku), list.map((e) => e.currency), list.map((e) => e.effectiveFrom)],
  );
  return result.rowCount ?? 0;
}
