import { assertValidPricingModel } from '@tally/money';
import type { PriceEntry } from '@tally/records';
import { MissingPriceError } from './missing-price-error.ts';
import { priceEntryKey } from './price-entry-key.ts';

/** What the billing core needs from prices; a PriceBook is one, a test can pass another. */
export interface PriceSource {
  /** The entry with the greatest effectiveFrom <= at for the SKU and currency; throws MissingPriceError if none. */
  priceAt(sku: string, currency: string, at: number): PriceEntry;
  /** Like priceAt, but undefined instead of an error (for SKUs that are free unless priced, such as ingress.gb). */
  findPriceAt(sku: string, currency: string, at: number): PriceEntry | undefined;
  /** The entry with this priceEntryKey; throws MissingPriceError if none. */
  byKey(key: string): PriceEntry;
}

/**
 * An immutable price book built from the values of the compacted prices topic.
 * Entries with the same key: the later one in the input wins, as compaction would have it.
 * Every entry's pricing model is validated up front, so a bad tier fails here, not mid-invoice.
 *
 * @example
 * const book = PriceBook.from(entries);
 * book.priceAt('compute.s1.small', 'USD', Date.parse('2025-03-01T10:00:00Z')).model;
 */
export class PriceBook implements PriceSource {
  readonly #byKey: ReadonlyMap<string, PriceEntry>;
  /** Per `${sku}|${currency}`, entries ascending by effectiveFrom. */
  readonly #timelines: ReadonlyMap<string, readonly PriceEntry[]>;

  private constructor(byKey: Map<string, PriceEntry>) {
    this.#byKey = byKey;
    const timelines = new Map<string, PriceEntry[]>();
    for (const entry of byKey.values()) {
      const id = `${entry.sku}|${entry.currency}`;
      const list = timelines.get(id) ?? [];
      list.push(entry);
      timelines.set(id, list);
    }
    for (const list of timelines.values()) list.sort((a, b) => a.effectiveFrom - b.effectiveFrom);
    this.#timelines = timelines;
  }

  static from(entries: Iterable<PriceEntry>): PriceBook {
    const byKey = new Map<string, PriceEntry>();
    for (const entry of entries) {
      assertValidPricingModel(entry.model);
      byKey.set(priceEntryKey(entry), entry);
    }
    return new PriceBook(byKey);
  }

  /** All entries, ordered by key: what a publisher writes to the prices topic. */
  entries(): PriceEntry[] {
    return [...this.#byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, entry]) => entry);
  }

  findPriceAt(sku: string, currency: string, at: number): PriceEntry | undefined {
    const list = this.#timelines.get(`${sku}|${currency}`);
    if (list === undefined) return undefined;
    // Binary search for the last entry with effectiveFrom <= at.
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]!.effectiveFrom <= at) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? undefined : list[lo - 1];
  }

  priceAt(sku: string, currency: string, at: number): PriceEntry {
    const entry = this.findPriceAt(sku, currency, at);
    if (entry === undefined) throw new MissingPriceError(sku, currency, at);
    return entry;
  }

  byKey(key: string): PriceEntry {
    const entry = this.#byKey.get(key);
    if (entry === undefined) {
      const [sku = key, currency = '?'] = key.split('|');
      throw new MissingPriceError(sku, currency, null, `no price book entry with key ${key}`);
    }
    return entry;
  }
}
