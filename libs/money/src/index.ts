export { Dec, decimal, toDecimalString, sumDecimals, InvalidDecimalError, type DecimalInput } from './decimal.ts';
export { assertCurrency, isCurrency, minorUnits, CurrencyError } from './currency.ts';
export { roundToMinor, formatMinor, floorToMinor } from './rounding.ts';
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
