// The pure billing core: prices, charges, invoices. No Kafka, no PostgreSQL; main.ts wires these to I/O.
export { priceEntryKey } from './price-entry-key.ts';
export { MissingPriceError } from './missing-price-error.ts';
export { PriceBook, type PriceSource } from './price-book.ts';
export { parsePriceBookFile, PriceBookFileError } from './price-book-file.ts';
export {
  monthPeriod,
  monthOf,
  nextMonth,
  assertTimeZone,
  BillingMonthError,
  type MonthPeriod,
} from './billing-month.ts';
export {
  usageMeasures,
  computeSku,
  isFreeUnlessPriced,
  EGRESS_SKU,
  INGRESS_SKU,
  SECONDS_PER_HOUR,
  BYTES_PER_GB,
  type UsageMeasure,
} from './usage-measures.ts';
export { latestUsage } from './latest-usage.ts';
export { hourlyCharges, type HourlyChargeLine } from './hourly-charges.ts';
export { accountHour, type AccountHourInput } from './account-hour.ts';
export { monthUsageGroups, type UsageGroup } from './month-usage.ts';
export {
  INVOICE_FORMAT,
  type InvoiceDraft,
  type InvoiceLine,
  type BilledQuantity,
  type FinalizedMonth,
} from './invoice.ts';
export { buildInvoice, type InvoiceInput } from './build-invoice.ts';
export { billedQuantities } from './billed-quantities.ts';
export { serializeInvoice, invoiceHash } from './invoice-hash.ts';
export { canonicalJson, contentHash, type Json } from './canonical-json.ts';
export { invoiceStatus, type InvoiceStatus, type InvoiceForStatus } from './invoice-status.ts';
export {
  planInvoices,
  monthsBefore,
  adjustmentWindowStart,
  lastFinalizedMonth,
  type AccountBillingState,
  type PlannedInvoice,
} from './invoice-plan.ts';
export { formatInvoiceNumber } from './invoice-number.ts';
export {
  planFromGroups,
  monthsToBuild,
  monthGroups,
  accountCalendar,
  type AccountPlanInput,
  type InvoiceKind,
  type MonthGroups,
} from './invoice-plan.ts';
export { AccountCalendar, type ClosedMonth, type MonthSettings } from './account-calendar.ts';
export { computeAccountHours, type AccountHoursInput, type AccountHoursResult } from './account-hours.ts';
