import type { PriceEntry } from '@tally/records';

/**
 * Identity of a price book entry: `${sku}|${currency}|${effectiveFrom as ISO}`.
 * The currency is part of it because the same SKU is priced in several currencies from the same instant;
 * a key without it would let log compaction keep only one of them.
 *
 * @example
 * priceEntryKey({ sku: 'egress.gb', currency: 'USD', effectiveFrom: 0 }); // 'egress.gb|USD|1970-01-01T00:00:00.000Z'
 */
export function priceEntryKey(entry: Pick<PriceEntry, 'sku' | 'currency' | 'effectiveFrom'>): string {
  return `${entry.sku}|${entry.currency}|${new Date(entry.effectiveFrom).toISOString()}`;
}
