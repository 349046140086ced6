import { canonicalJson, contentHash } from './canonical-json.ts';
import type { InvoiceDraft } from './invoice.ts';

/**
 * The canonical bytes of an invoice: sorted keys, lines in the builder's fixed order, no whitespace.
 *
 * @example
 * serializeInvoice(invoice); // '{"accountId":"acct-1","creditApplied":"0.00",…}'
 */
export function serializeInvoice(invoice: InvoiceDraft): string {
  return canonicalJson(invoice);
}

/**
 * SHA-256 (hex) of serializeInvoice: a replay that produces the same hash produced the same invoice, byte for byte.
 *
 * @example
 * invoiceHash(buildInvoice(input)) === invoiceHash(buildInvoice(input)); // true
 */
export function invoiceHash(invoice: InvoiceDraft): string {
  return contentHash(invoice);
}
