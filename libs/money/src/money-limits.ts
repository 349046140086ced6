/**
 * The largest numbers money accepts. Arithmetic is exact (BigInt rationals), so these are not precision limits:
 * nothing is cut below them. They exist so that a price or a quantity that can only be a mistake (or an attack) is
 * rejected where it enters, with a clear message, and so that every amount fits the decimal strings of
 * `@tally/records` (at most 30 integer digits) and the NUMERIC columns.
 *
 * - Price-book numbers (unitPrice, flatFee, packagePrice, packageSize, upTo): below 10^12, at most 12 decimals.
 *   Checked by `pricingModelProblems`, so by the price book file parser and by the prices consumer (dead letter).
 * - Quantities priced: below 10^16 units (hours, GB); `priceQuantity` throws RangeError above. A month of an
 *   account's usage is far below (10^16 instance-hours is 10^13 instances running all month).
 * - Amounts are therefore below 10^28 plus flat fees (below 10^12 each): under 10^30, exact and written in full.
 */
export const MAX_PRICE_VALUE = 10n ** 12n;
export const MAX_PRICE_SCALE = 12;
export const MAX_QUANTITY = 10n ** 16n;
