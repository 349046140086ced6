import { decimal, Rational } from '@tally/money';
import type { Payment } from '@tally/records';

export type InvoiceStatus = 'draft' | 'finalized' | 'paid' | 'overdue';

/** What the status needs to know of an invoice; numbers and finalization times are assigned at finalization. */
export interface InvoiceForStatus {
  readonly accountId: string;
  /** Gapless number given at finalization; null while a draft. */
  readonly number: string | null;
  /** Epoch ms of finalization; null while a draft. */
  readonly finalizedAt: number | null;
  readonly total: string;
}

/**
 * The status of an invoice at `now`:
 * - 'draft' until it has a number and a finalization time;
 * - 'paid' once `invoice_paid` payments for its number (same account, at or before now) add up to its total
 *   (a payment without an amount counts as paying it in full; a total of zero or less is paid on finalization);
 * - 'overdue' from finalizedAt + duePeriodMs on, if not paid;
 * - 'finalized' otherwise. Failed payments do not change the status; they only matter to dunning.
 *
 * @example
 * invoiceStatus(invoice, payments, Date.now(), 14 * 24 * 3_600_000); // 'paid'
 */
export function invoiceStatus(
  invoice: InvoiceForStatus,
  payments: Iterable<Payment>,
  now: number,
  duePeriodMs: number,
): InvoiceStatus {
  if (invoice.number === null || invoice.finalizedAt === null || now < invoice.finalizedAt) return 'draft';
  const total = Rational.from(decimal(invoice.total));
  // Exact sums: Dec would round a sum of many 42-digit payments to 40 digits.
  let paid = Rational.ZERO;
  let paidInFull = !total.isPositive();
  for (const p of payments) {
    if (p.kind !== 'invoice_paid' || p.accountId !== invoice.accountId || p.invoiceNumber !== invoice.number) continue;
    if (p.at > now) continue;
    if (p.amount === null) paidInFull = true;
    else paid = paid.plus(p.amount);
  }
  if (paidInFull || paid.gte(total)) return 'paid';
  return now >= invoice.finalizedAt + duePeriodMs ? 'overdue' : 'finalized';
}
