import { displayDecimal, Rational } from '@tally/money';
import type { BilledQuantity, InvoiceDraft } from './invoice.ts';
import { shownQuantity } from './usage-measures.ts';

/**
 * What finalized invoices billed for a month, per (SKU, price entry): the month's own usage lines plus the
 * adjustment lines later invoices carried for it, quantities and full-precision amounts as stored. This is the
 * `billed` of a FinalizedMonth: adjustments compare against it, never against a recomputation.
 * Sums are exact: quantities are read back as the whole seconds or bytes they show (shownQuantity), amounts are
 * added as the decimals they are.
 *
 * @example
 * billedQuantities([marchInvoice, aprilInvoice], '2025-03'); // [{ sku: 'egress.gb', priceEntryKey: '…', quantity: '130.5', amount: '2.745' }]
 */
export function billedQuantities(finalizedInvoices: Iterable<InvoiceDraft>, month: string): BilledQuantity[] {
  const sums = new Map<string, { sku: string; quantity: Rational; amount: Rational }>();
  for (const invoice of finalizedInvoices) {
    for (const l of invoice.lines) {
      const counts =
        (l.kind === 'usage' && invoice.month === month) || (l.kind === 'adjustment' && l.adjustsMonth === month);
      if (!counts || l.sku === null || l.priceEntryKey === null || l.quantity === null || l.unit === null) continue;
      const sum = sums.get(l.priceEntryKey);
      sums.set(l.priceEntryKey, {
        sku: l.sku,
        quantity: (sum?.quantity ?? Rational.ZERO).plus(shownQuantity(l.quantity, l.unit)),
        amount: (sum?.amount ?? Rational.ZERO).plus(l.amount),
      });
    }
  }
  return [...sums.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([priceEntryKey, s]) => ({
      sku: s.sku,
      priceEntryKey,
      quantity: displayDecimal(s.quantity),
      amount: s.amount.toString(),
    }));
}
