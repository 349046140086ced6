import { z } from 'zod';
import { computedDecimalString, count, epochMillis, id, text } from './primitives.ts';

export const invoiceLine = z.object({
  kind: id,
  sku: id.nullable(),
  quantity: computedDecimalString.nullable(),
  /** Rounded to the currency's minor unit, as billed. */
  amount: computedDecimalString,
});

/**
 * A finalized invoice (topic invoices, compacted, keyed by invoiceKey). Finalized invoices are immutable, so the
 * value of a key never changes; `version` is 1 and exists for the rule that compacted values carry one.
 */
export const invoice = z.object({
  accountId: id,
  /** 'YYYY-MM' in the account's time zone. */
  month: z.string().regex(/^\d{4}-\d{2}$/),
  currency: z.string().regex(/^[A-Z]{3}$/),
  kind: id,
  issuer: id,
  number: id,
  lines: z.array(invoiceLine).max(10_000),
  subtotal: computedDecimalString,
  creditApplied: computedDecimalString,
  total: computedDecimalString,
  finalizedAt: epochMillis,
  dueAt: epochMillis,
  contentHash: text(200),
  version: count,
});
export type Invoice = z.infer<typeof invoice>;
export type InvoiceLineRecord = z.infer<typeof invoiceLine>;

export function invoiceKey(accountId: string, month: string, currency: string): string {
  return `${accountId}|${month}|${currency}`;
}
