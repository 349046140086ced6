import type { Rational } from '@tally/money';
import type { PriceEntry, UsageHourly } from '@tally/records';
import type { MonthPeriod } from './billing-month.ts';
import { latestUsage } from './latest-usage.ts';
import type { PriceSource } from './price-book.ts';
import { priceEntryKey } from './price-entry-key.ts';
import { isFreeUnlessPriced, quantityOf, usageMeasures, type MeasuredUsage } from './usage-measures.ts';

/** A month's usage of one SKU billed under one price entry: the unit tiers apply to. */
export interface UsageGroup {
  readonly sku: string;
  readonly entry: PriceEntry;
  readonly priceEntryKey: string;
  /** Exact quantity in the entry's unit: summed base units divided once, as an exact rational. */
  readonly quantity: Rational;
}

/**
 * Groups an account's usage in a period by (SKU, price entry in force at each hour's start).
 * Usage is deduplicated first (latest version per instance-hour), then kept if it belongs to the
 * account and its hour starts inside the period. Groups come ordered by SKU, then effectiveFrom.
 * Throws MissingPriceError for used SKUs without a price (except ingress, which is then free).
 *
 * @example
 * monthUsageGroups(usage, 'acct-1', 'USD', monthPeriod('2025-03', 'Europe/Zurich'), book);
 */
export function monthUsageGroups(
  usage: Iterable<UsageHourly>,
  accountId: string,
  currency: string,
  period: Pick<MonthPeriod, 'start' | 'end'>,
  prices: PriceSource,
): UsageGroup[] {
  const groups = new UsageGroupAccumulator(accountId, currency, period, prices);
  for (const record of latestUsage(usage)) groups.add(record);
  return groups.groups();
}

/**
 * monthUsageGroups one record at a time, so a month can be streamed from storage in chunks and only its groups are
 * held (bounded memory, whatever the number of instances). Records must already be the latest value per
 * instance-hour (as billing_usage stores them); records of other accounts or outside the period are ignored.
 *
 * @example
 * const acc = new UsageGroupAccumulator('acct-1', 'USD', period, book);
 * for (const chunk of chunks) for (const record of chunk) acc.add(record);
 * acc.groups();
 */
export class UsageGroupAccumulator {
  readonly #groups = new Map<string, { sku: string; entry: PriceEntry; baseUnits: bigint; perUnit: number }>();

  readonly accountId: string;
  readonly currency: string;
  readonly period: Pick<MonthPeriod, 'start' | 'end'>;
  readonly prices: PriceSource;

  constructor(accountId: string, currency: string, period: Pick<MonthPeriod, 'start' | 'end'>, prices: PriceSource) {
    this.accountId = accountId;
    this.currency = currency;
    this.period = period;
    this.prices = prices;
  }

  add(record: MeasuredUsage): void {
    const { period, prices, currency } = this;
    if (record.accountId !== this.accountId || record.hourStart < period.start || record.hourStart >= period.end) {
      return;
    }
    for (const measure of usageMeasures(record)) {
      const entry = isFreeUnlessPriced(measure.sku)
        ? prices.findPriceAt(measure.sku, currency, record.hourStart)
        : prices.priceAt(measure.sku, currency, record.hourStart);
      if (entry === undefined) continue;
      const key = keyOf(entry);
      const group = this.#groups.get(key);
      if (group === undefined) {
        this.#groups.set(key, {
          sku: measure.sku,
          entry,
          baseUnits: BigInt(measure.baseUnits),
          perUnit: measure.perUnit,
        });
      } else {
        group.baseUnits += BigInt(measure.baseUnits);
      }
    }
  }

  groups(): UsageGroup[] {
    return [...this.#groups.entries()]
      .map(([key, g]) => ({
        sku: g.sku,
        entry: g.entry,
        priceEntryKey: key,
        quantity: quantityOf(g.baseUnits, g.perUnit),
      }))
      .sort(bySkuThenEffectiveFrom);
  }
}

/** priceEntryKey per entry object: price book entries are immutable, and every record of a month asks again. */
const keys = new WeakMap<PriceEntry, string>();

function keyOf(entry: PriceEntry): string {
  let key = keys.get(entry);
  if (key === undefined) {
    key = priceEntryKey(entry);
    keys.set(entry, key);
  }
  return key;
}

export function bySkuThenEffectiveFrom(
  a: { sku: string; entry: PriceEntry },
  b: { sku: string; entry: PriceEntry },
): number {
  if (a.sku !== b.sku) return a.sku < b.sku ? -1 : 1;
  return a.entry.effectiveFrom - b.entry.effectiveFrom;
}
