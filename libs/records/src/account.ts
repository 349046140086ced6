import { z } from 'zod';
import { epochMillis, id, nonNegativeDecimalString } from './primitives.ts';

/** A customer account (topic accounts, compacted, keyed by account id). */
export const account = z.object({
  accountId: id,
  name: z.string().min(1),
  email: z.email(),
  plan: z.enum(['trial', 'paying']),
  /** Credit granted once, consumed by invoices in order; decimal string in the account's currency. */
  freeCredit: nonNegativeDecimalString,
  currency: z.string().regex(/^[A-Z]{3}$/),
  timeZone: z.string().min(1),
  createdAt: epochMillis,
});
export type Account = z.infer<typeof account>;
