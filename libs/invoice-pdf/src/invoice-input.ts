import { postalAddress } from '@tally/records';
import { z } from 'zod';

const minorAmount = z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal string');

/** One line of a stored invoice document (billing's InvoiceLine): what the PDF prints of it. */
export const pdfInvoiceLine = z.object({
  kind: z.enum(['usage', 'adjustment', 'credit', 'carried_forward']),
  sku: z.string().nullable(),
  unit: z.enum(['hour', 'gb']).nullable(),
  adjustsMonth: z.string().nullable(),
  quantity: z.string().nullable(),
  roundedAmount: minorAmount,
});
export type PdfInvoiceLine = z.infer<typeof pdfInvoiceLine>;

/**
 * A finalized invoice as billing stores it (services/billing FinalizedInvoice: number, finalization time and the
 * InvoiceDraft document). Structural, so billing's type passes as it is; checked with zod because it comes from a
 * jsonb column.
 */
export const pdfInvoice = z.object({
  number: z.string().min(1),
  finalizedAt: z.date(),
  content: z.object({
    accountId: z.string().min(1),
    month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/),
    timeZone: z.string().min(1),
    currency: z.string().regex(/^[A-Z]{3}$/),
    periodStart: z.number().int(),
    periodEnd: z.number().int(),
    lines: z.array(pdfInvoiceLine),
    subtotal: minorAmount,
    total: minorAmount,
  }),
});
export type PdfInvoice = z.input<typeof pdfInvoice>;

/**
 * What the PDF prints of the account (an Account passes as it is). A stored record from before accounts had an
 * address gets none, as decoding it would.
 */
export const pdfCustomer = z.object({
  name: z.string().min(1),
  email: z.string(),
  address: postalAddress.nullable().default(null),
});
export type PdfCustomer = z.input<typeof pdfCustomer>;
