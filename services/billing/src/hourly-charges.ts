import { displayDecimal, marginalAmount, type RationalInput } from '@tally/money';
import type { UsageHourly } from '@tally/records';
import type { PriceSource } from './price-book.ts';
import { priceEntryKey } from './price-entry-key.ts';
import { isFreeUnlessPriced, quantityOf, usageMeasures } from './usage-measures.ts';

/** A charge of one hour, at full precision, with the price entry it was priced with. */
export interface HourlyChargeLine {
  readonly sku: string;
  readonly quantity: string;
  readonly priceEntryKey: string;
  readonly amount: string;
}

/**
 * Charges of one usage record (one instance-hour), priced with the entries in force at the hour's start.
 * Quantities: runningSeconds / 3600 hours of `compute.<type>`, txBytes / 10^9 GB of `egress.gb`,
 * rxBytes / 10^9 GB of `ingress.gb` (free unless priced). The amount is marginal: what this quantity adds
 * to the month given `monthToDate` (quantity already used this month, keyed by priceEntryKey; absent = 0).
 * For per-unit prices that is quantity × price; for tiers it is price(before + q) − price(before).
 * Throws MissingPriceError when a used SKU has no price.
 *
 * @example
 * hourlyCharges(record, 'USD', book);
 * // [{ sku: 'compute.s1.small', quantity: '0.5', priceEntryKey: 'compute.s1.small|USD|…', amount: '0.0104' }]
 */
export function hourlyCharges(
  record: UsageHourly,
  currency: string,
  prices: PriceSource,
  monthToDate: ReadonlyMap<string, RationalInput> = new Map(),
): HourlyChargeLine[] {
  const lines: HourlyChargeLine[] = [];
  for (const measure of usageMeasures(record)) {
    const entry = isFreeUnlessPriced(measure.sku)
      ? prices.findPriceAt(measure.sku, currency, record.hourStart)
      : prices.priceAt(measure.sku, currency, record.hourStart);
    if (entry === undefined) continue;
    const key = priceEntryKey(entry);
    const quantity = quantityOf(BigInt(measure.baseUnits), measure.perUnit);
    const amount = marginalAmount(entry.model, monthToDate.get(key) ?? '0', quantity);
    lines.push({
      sku: measure.sku,
      quantity: displayDecimal(quantity),
      priceEntryKey: key,
      amount: displayDecimal(amount),
    });
  }
  return lines;
}
