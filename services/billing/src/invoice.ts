import type { PriceEntry, UsageHourly } from '@tally/records';
import type { MonthPeriod } from './billing-month.ts';
import type { UsageGroup } from './month-usage.ts';

/** Version tag of the invoice document; bump it when the shape changes so stored hashes stay comparable. */
export const INVOICE_FORMAT = 'tally.invoice.v1';

/**
 * One invoice line. Amounts are decimal strings: `amount` at full precision, `roundedAmount` rounded once
 * to the currency's minor unit (half away from zero) and written with exactly its digits.
 * Fields that do not apply are null (never absent), so the canonical JSON has one shape.
 */
export interface InvoiceLine {
  /**
   * usage and adjustment lines bill SKUs; `credit` spends account credit (negative); `carried_forward` (positive)
   * brings a negative month to 0 and moves that amount to account credit for the next invoice.
   */
  readonly kind: 'usage' | 'adjustment' | 'credit' | 'carried_forward';
  /** null for the credit and carried_forward lines (as are priceEntryKey, unit and quantity). */
  readonly sku: string | null;
  /** The price entry the line was priced with (priceEntryKey); null for the credit line. */
  readonly priceEntryKey: string | null;
  readonly unit: 'hour' | 'gb' | null;
  /** 'YYYY-MM' of the finalized month an adjustment line corrects; null otherwise. */
  readonly adjustsMonth: string | null;
  /** Quantity in `unit`s (for adjustments: recomputed minus billed); null for the credit line. */
  readonly quantity: string | null;
  readonly amount: string;
  readonly roundedAmount: string;
}

/** An invoice draft of one account for one calendar month in the account's time zone. */
export interface InvoiceDraft {
  readonly format: typeof INVOICE_FORMAT;
  readonly accountId: string;
  readonly month: string;
  readonly timeZone: string;
  readonly currency: string;
  /** Epoch ms, inclusive: local midnight on the 1st. */
  readonly periodStart: number;
  /** Epoch ms, exclusive: local midnight on the 1st of the next month. */
  readonly periodEnd: number;
  /** Usage lines by (sku, effectiveFrom), then adjustment lines by (month, sku, effectiveFrom), then the credit line, then the carried_forward line. */
  readonly lines: readonly InvoiceLine[];
  /** Sum of the rounded usage and adjustment lines. */
  readonly subtotal: string;
  /** Credit used by this invoice, positive (the credit line carries it negated). */
  readonly creditApplied: string;
  /** Sum of all rounded lines. */
  readonly total: string;
  /** Credit left to carry to the next month (full precision): unspent credit plus a negative month's balance. */
  readonly creditRemaining: string;
}

/** What a finalized invoice billed for one (sku, price entry) of one month. */
export interface BilledQuantity {
  readonly sku: string;
  readonly priceEntryKey: string;
  readonly quantity: string;
  /** What was billed for it at full precision (sum of line amounts); the adjustment baseline when present. */
  readonly amount?: string;
}

/**
 * A month already finalized, to be checked for late usage: what its invoices billed (see billedQuantities)
 * and the usage records of the account's instances as they are now.
 */
export interface FinalizedMonth {
  readonly month: string;
  readonly billed: readonly BilledQuantity[];
  readonly usage?: readonly UsageHourly[];
  /** The month's usage already grouped; when given, `usage` is not read. */
  readonly groups?: readonly UsageGroup[];
  /** The month's instants as finalized (default: the calendar month in the account's time zone). */
  readonly period?: Pick<MonthPeriod, 'start' | 'end'>;
  /** The price entries the month was billed with, by priceEntryKey: they price its adjustments. */
  readonly entries?: ReadonlyMap<string, PriceEntry>;
}
