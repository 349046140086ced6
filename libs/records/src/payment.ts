import { z } from 'zod';
import { decimalString, epochMillis, id } from './primitives.ts';

/** What the payment provider tells us (topic payments, keyed by account id). */
export const payment = z.object({
  paymentId: id,
  accountId: id,
  kind: z.enum(['invoice_paid', 'payment_failed', 'payment_method_added']),
  invoiceNumber: id.nullable(),
  amount: decimalString.nullable(),
  at: epochMillis,
});
export type Payment = z.infer<typeof payment>;
