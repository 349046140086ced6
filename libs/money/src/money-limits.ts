/**
 * The largest numbers money accepts. Arithmetic is exact (BigInt rationals), so these are not precision limits:
 * nothing is cut below them or above them. They exist so that a price or a quantity that can only be a mistake (or
 * an attack) is rejected where it enters, with a clear message, instead of producing a 90-digit invoice.
 *
 * - Price-book numbers (unitPrice, flatFee, packagePrice, packageSize, upTo): below 10^18, at most 12 decimals.
 *   Checked by `pricingModelProblems`, so by the price book file parser and by the prices consumer (dead letter).
 *   This sits inside the decimal strings `@tally/records` accepts.
 * - Quantities priced: below 10^30 units (hours, GB); `priceQuantity` throws RangeError above. A month of an
 *   account's usage is far below (10^30 h is 10^20 times the age of the universe).
 * - Amounts are therefore below 10^48 plus flat fees: exact, and written in full on the invoice.
 */
export const MAX_PRICE_VALUE = 10n ** 18n;
export const MAX_PRICE_SCALE = 12;
export const MAX_QUANTITY = 10n ** 30n;
