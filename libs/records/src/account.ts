import { z } from 'zod';
import { epochMillis, id, nonNegativeDecimalString, text } from './primitives.ts';

/**
 * A postal address as printed on an invoice. Every part may be empty (Avro default ""): customer management sends
 * what it has, and a country-less address is still better on an invoice than none.
 */
export const postalAddress = z.object({
  line1: text(200).default(''),
  line2: text(200).default(''),
  city: text(100).default(''),
  postalCode: text(32).default(''),
  region: text(100).default(''),
  /** ISO 3166-1 alpha-2 ('CH'), or empty. */
  country: z
    .string()
    .regex(/^([A-Z]{2})?$/, 'expected an ISO 3166-1 alpha-2 country code such as "CH", or empty')
    .default(''),
});
export type PostalAddress = z.infer<typeof postalAddress>;

/**
 * A customer account (topic accounts, compacted, keyed by account id).
 *
 * `address` and `unsubscribed` came later (schemas/account.avsc evolved BACKWARD, with defaults): a record written
 * before them decodes with the writer's schema and gets its defaults here, so every decoded Account carries both.
 */
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
  /** Billing address for invoices; null when none is known. */
  address: postalAddress.nullable().default(null),
  /** Opted out of marketing e-mails (drip); invoices and abuse notices are not marketing and still go out. */
  unsubscribed: z.boolean().default(false),
});
/** A decoded account: `address` and `unsubscribed` are always present. */
export type Account = z.infer<typeof account>;
/** What a producer may send: the evolved fields may be left out (their defaults apply). */
export type AccountInput = z.input<typeof account>;
