import { displayDecimal, marginalAmount, Rational } from '@tally/money';
import { HOUR_MS, type Account, type BillingHourly, type PriceEntry, type UsageHourly } from '@tally/records';
import { latestUsage } from './latest-usage.ts';
import { monthAt } from './month-lookup.ts';
import type { PriceSource } from './price-book.ts';
import { priceEntryKey } from './price-entry-key.ts';
import { isFreeUnlessPriced, quantityOf, shownQuantity, usageMeasures } from './usage-measures.ts';

export interface AccountHourInput {
  readonly account: Pick<Account, 'accountId' | 'currency' | 'timeZone'>;
  /** Start of the hour, epoch ms, aligned to the hour. */
  readonly hourStart: number;
  /** Usage records of the account's instances; deduplicated here, records of other hours or accounts ignored. */
  readonly usage: Iterable<UsageHourly>;
  /** The account's BillingHourly values of earlier hours (others are ignored); they give the month-to-date position. */
  readonly previousHours: Iterable<BillingHourly>;
  readonly prices: PriceSource;
  /** Version of the value to publish; the caller makes it grow with every rewrite of this account-hour. */
  readonly version: number;
}

/**
 * The BillingHourly value of one account in one hour: one line per SKU (quantity summed over the account's
 * instances, amount marginal given the quantity the earlier hours of the month used under the same price
 * entry), the hour's total, and the month-to-date total (earlier hours' totals plus this one).
 * A preview at full precision: the invoice, not the sum of previews, is what is billed; once every hour of a
 * month is in, the marginal amounts telescope to the invoice's unrounded per-entry amounts.
 *
 * @example
 * accountHour({ account, hourStart, usage, previousHours, prices: book, version: 1 }).monthToDate; // '41.7'
 */
export function accountHour(input: AccountHourInput): BillingHourly {
  const { account, hourStart, prices } = input;
  if (hourStart % HOUR_MS !== 0) throw new RangeError(`hourStart is not on the hour: ${hourStart}`);
  const month = monthAt(hourStart, account.timeZone);

  // Quantity already used this month, per price entry, and the month's total so far.
  const earlier = new Map<number, BillingHourly>();
  for (const hour of input.previousHours) {
    if (hour.accountId !== account.accountId || hour.hourStart >= hourStart) continue;
    if (hour.hourStart < month.start) continue;
    const seen = earlier.get(hour.hourStart);
    if (seen === undefined || hour.version > seen.version) earlier.set(hour.hourStart, hour);
  }
  const before = new Map<string, Rational>();
  let previousTotal = Rational.ZERO;
  for (const hour of earlier.values()) {
    previousTotal = previousTotal.plus(hour.hourTotal);
    for (const l of hour.lines) {
      // A SKU no longer priced for that hour cannot move a tier position; the preview tolerates it.
      const entry = prices.findPriceAt(l.sku, account.currency, hour.hourStart);
      if (entry === undefined) continue;
      const key = priceEntryKey(entry);
      // Shown quantities are whole seconds or bytes: read back exactly, never summed as cut decimals.
      before.set(key, (before.get(key) ?? Rational.ZERO).plus(shownQuantity(l.quantity, entry.unit)));
    }
  }

  const groups = new Map<string, { entry: PriceEntry; baseUnits: bigint; perUnit: number }>();
  for (const record of latestUsage(input.usage)) {
    if (record.accountId !== account.accountId || record.hourStart !== hourStart) continue;
    for (const measure of usageMeasures(record)) {
      const entry = isFreeUnlessPriced(measure.sku)
        ? prices.findPriceAt(measure.sku, account.currency, hourStart)
        : prices.priceAt(measure.sku, account.currency, hourStart);
      if (entry === undefined) continue;
      const key = priceEntryKey(entry);
      const group = groups.get(key);
      if (group === undefined)
        groups.set(key, { entry, baseUnits: BigInt(measure.baseUnits), perUnit: measure.perUnit });
      else group.baseUnits += BigInt(measure.baseUnits);
    }
  }

  const lines = [...groups.entries()]
    .map(([key, g]) => {
      const quantity = quantityOf(g.baseUnits, g.perUnit);
      return {
        sku: g.entry.sku,
        quantity,
        amount: marginalAmount(g.entry.model, before.get(key) ?? Rational.ZERO, quantity),
      };
    })
    .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
  const hourTotal = lines.reduce((sum, l) => sum.plus(l.amount), Rational.ZERO);
  return {
    accountId: account.accountId,
    hourStart,
    currency: account.currency,
    lines: lines.map((l) => ({ sku: l.sku, quantity: displayDecimal(l.quantity), amount: displayDecimal(l.amount) })),
    hourTotal: displayDecimal(hourTotal),
    monthToDate: displayDecimal(previousTotal.plus(hourTotal)),
    version: input.version,
  };
}
