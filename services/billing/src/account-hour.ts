import { displayDecimal, marginalAmount, Rational } from '@tally/money';
import { HOUR_MS, type Account, type BillingHourly, type PriceEntry, type UsageHourly } from '@tally/records';
import { latestUsage } from './latest-usage.ts';
import { monthAt } from './month-lookup.ts';
import type { PriceSource } from './price-book.ts';
import { priceEntryKey } from './price-entry-key.ts';
import { isFreeUnlessPriced, quantityOf, shownQuantity, usageMeasures, type UsageMeasure } from './usage-measures.ts';

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
      const key = entryKey(entry);
      // Shown quantities are whole seconds or bytes: read back exactly, never summed as cut decimals.
      before.set(key, (before.get(key) ?? Rational.ZERO).plus(shownQuantity(l.quantity, entry.unit)));
    }
  }
  const measures: UsageMeasure[] = [];
  for (const record of latestUsage(input.usage)) {
    if (record.accountId !== account.accountId || record.hourStart !== hourStart) continue;
    measures.push(...usageMeasures(record));
  }
  return accountHourAt({ account, hourStart, measures, before, previousTotal, prices, version: input.version });
}

/** What accountHourAt needs: the hour's measures and the month's position before it, already summed. */
export interface AccountHourAtInput {
  readonly account: Pick<Account, 'accountId' | 'currency'>;
  readonly hourStart: number;
  /** The measures of the hour's usage (one latest record per instance), any order. */
  readonly measures: Iterable<UsageMeasure>;
  /** Quantity used earlier in the month, per price entry key (exact). */
  readonly before: ReadonlyMap<string, Rational>;
  /** The month's total before this hour (the sum of the earlier hours' shown hourTotal). */
  readonly previousTotal: Rational;
  readonly prices: PriceSource;
  readonly version: number;
}

/**
 * accountHour from the month's position as numbers: the sweep (computeAccountHours) keeps the quantities used so far
 * per price entry exactly and hands them over, instead of writing them as decimal strings for accountHour to read back
 * (the same values: those strings snap back to the very fractions). Missing price: MissingPriceError.
 *
 * @example
 * accountHourAt({ account, hourStart, measures, before: new Map(), previousTotal: Rational.ZERO, prices, version: 1 });
 */
export function accountHourAt(input: AccountHourAtInput): BillingHourly {
  const { account, hourStart, prices } = input;
  const groups = new Map<string, { entry: PriceEntry; baseUnits: bigint; perUnit: number }>();
  for (const measure of input.measures) {
    const entry = isFreeUnlessPriced(measure.sku)
      ? prices.findPriceAt(measure.sku, account.currency, hourStart)
      : prices.priceAt(measure.sku, account.currency, hourStart);
    if (entry === undefined) continue;
    const key = entryKey(entry);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { entry, baseUnits: BigInt(measure.baseUnits), perUnit: measure.perUnit });
    else group.baseUnits += BigInt(measure.baseUnits);
  }

  const lines = [...groups.entries()]
    .map(([key, g]) => {
      const quantity = quantityOf(g.baseUnits, g.perUnit);
      return {
        sku: g.entry.sku,
        quantity,
        amount: marginalAmount(g.entry.model, input.before.get(key) ?? Rational.ZERO, quantity),
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
    monthToDate: displayDecimal(input.previousTotal.plus(hourTotal)),
    version: input.version,
  };
}

const entryKeys = new WeakMap<PriceEntry, string>();

/** priceEntryKey, once per entry object (it formats a date; the sweep asks for the same few entries again and again). */
export function entryKey(entry: PriceEntry): string {
  let key = entryKeys.get(entry);
  if (key === undefined) {
    key = priceEntryKey(entry);
    entryKeys.set(entry, key);
  }
  return key;
}
