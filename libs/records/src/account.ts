import { z } from 'zod';
import { epochMillis, id, nonNegativeDecimalString, text } from './primitives.ts';

/** A customer account (topic accounts, compacted, keyed by account id). */
export const account = z.object({
  accountId: id,
  name: text(500).min(1),
  email: z.email().max(254),
  plan: z.enum(['trial', 'paying']),
  /** Credit granted once, consumed by invoices in order; decimal string in the account's currency. */
  freeCredit: nonNegativeDecimalString,
  currency: z.string().regex(/^[A-Z]{3}$/),
  timeZone: text(64).min(1),
  createdAt: epochMillis,
});
export type Account = z.infer<typeof account>;
