export { Dec, decimal, toDecimalString, sumDecimals, InvalidDecimalError, type DecimalInput } from './decimal.ts';
export { assertCurrency, isCurrency, minorUnits, CurrencyError } from './currency.ts';
export { roundToMinor, formatMinor, floorToMinor, minorRational } from './rounding.ts';
export {
  Rational,
  formatScaled,
  displayDecimal,
  snapToGrid,
  DISPLAY_SIGNIFICANT_DIGITS,
  type RationalInput,
} from './rational.ts';
export { MAX_PRICE_VALUE, MAX_PRICE_SCALE, MAX_QUANTITY } from './money-limits.ts';
export { ISO_4217_MINOR_UNITS, ISO_4217_PUBLISHED, NOT_BILLABLE } from './iso-4217.ts';
export {
  priceQuantity,
  marginalAmount,
  pricingModelProblems,
  assertValidPricingModel,
  PricingModelError,
  type PricingModel,
  type PriceTier,
  type PricingModelProblem,
} from './pricing-model.ts';
