import type { Queryable } from '@tally/db';
import { enqueueOutbox } from '@tally/kafka';
import { invoiceKey, type Invoice } from '@tally/records';
import type { InvoiceDraft } from './invoice.ts';
import { invoiceHash } from './invoice-hash.ts';

/** Where finalized invoices are published (topic invoices, compacted) and when they fall due. */
export interface InvoicePublishing {
  readonly topic: string;
  /** An invoice is due this long after it was finalized (the same period invoiceStatus calls it overdue after). */
  readonly duePeriodMs: number;
}

/**
 * The invoices record of a finalized invoice: what it billed (rounded lines, totals, hash), its number and due date.
 * Finalized invoices never change, so the value of its key never changes either (version 1). `contentHash` is
 * invoiceHash(invoice), passed by a caller that has it already.
 *
 * @example
 * invoiceRecord(draft, 'regular', 'tally', 'INV-2026-000001', finalizedAt, 14 * 86_400_000).dueAt; // finalizedAt + 14 d
 */
export function invoiceRecord(
  invoice: InvoiceDraft,
  kind: string,
  issuer: string,
  number: string,
  finalizedAt: number,
  duePeriodMs: number,
  contentHash: string = invoiceHash(invoice),
): Invoice {
  return {
    accountId: invoice.accountId,
    month: invoice.month,
    currency: invoice.currency,
    kind,
    issuer,
    number,
    lines: invoice.lines.map((line) => ({
      kind: line.kind,
      sku: line.sku,
      quantity: line.quantity,
      amount: line.roundedAmount,
    })),
    subtotal: invoice.subtotal,
    creditApplied: invoice.creditApplied,
    total: invoice.total,
    finalizedAt,
    dueAt: finalizedAt + duePeriodMs,
    contentHash,
    version: 1,
  };
}

/** Enqueues the finalized invoice to billing's outbox, in the transaction that finalizes it (abuse, drip, api read it). */
export async function enqueueFinalizedInvoice(
  db: Queryable,
  publishing: InvoicePublishing,
  record: Invoice,
): Promise<void> {
  await enqueueOutbox(db, publishing.topic, invoiceKey(record.accountId, record.month, record.currency), record);
}

/**
 * enqueueFinalizedInvoice for many invoices in one statement: outbox ids follow the order given, so they are sent in
 * the order one-by-one enqueueing would send them.
 */
export async function enqueueFinalizedInvoices(
  db: Queryable,
  publishing: InvoicePublishing,
  records: readonly Invoice[],
): Promise<void> {
  if (records.length === 0) return;
  await db.query(
    `INSERT INTO outbox (topic, key, payload)
     SELECT $1, e.key, e.payload FROM unnest($2::text[], $3::jsonb[]) WITH ORDINALITY AS e(key, payload, n)
     ORDER BY e.n`,
    [
      publishing.topic,
      records.map((r) => invoiceKey(r.accountId, r.month, r.currency)),
      records.map((r) => JSON.stringify(r)),
    ],
  );
}
