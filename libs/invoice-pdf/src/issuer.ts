import { loadConfig } from '@tally/config';
import { postalAddress, type PostalAddress } from '@tally/records';
import { z } from 'zod';

/** Who issues the invoices: printed at the top of every PDF. */
export const issuerSchema = z.object({
  name: z.string().min(1).max(200),
  address: postalAddress,
  /** VAT / tax registration number, printed as is. */
  taxId: z.string().min(1).max(64),
  /** Days from the issue date to the due date. */
  paymentTermsDays: z.number().int().min(0).max(365),
});
export type Issuer = z.infer<typeof issuerSchema>;

/**
 * The issuer's environment variables. Name, first address line, city, country and tax id are required, without
 * defaults: an invoice sent with a placeholder issuer is worse than a process that refuses to start.
 */
export const issuerEnv = z.object({
  TALLY_ISSUER_NAME: z.string().min(1).max(200),
  TALLY_ISSUER_LINE1: z.string().min(1).max(200),
  TALLY_ISSUER_LINE2: z.string().max(200).default(''),
  TALLY_ISSUER_CITY: z.string().min(1).max(100),
  TALLY_ISSUER_POSTAL_CODE: z.string().max(32).default(''),
  TALLY_ISSUER_REGION: z.string().max(100).default(''),
  TALLY_ISSUER_COUNTRY: z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166-1 alpha-2 country code such as "CH"'),
  TALLY_ISSUER_TAX_ID: z.string().min(1).max(64),
  TALLY_ISSUER_PAYMENT_TERMS_DAYS: z.coerce.number().int().min(0).max(365).default(30),
});

/**
 * Reads the issuer from the environment; a ConfigError names every missing or bad variable.
 *
 * @example
 * const issuer = issuerFromEnv(process.env); // { name: 'Tally Cloud AG', address: { ... }, taxId: 'CHE-123.456.789 MWST', paymentTermsDays: 30 }
 */
export function issuerFromEnv(env: NodeJS.ProcessEnv = process.env): Issuer {
  const config = loadConfig(issuerEnv, env);
  const address: PostalAddress = {
    line1: config.TALLY_ISSUER_LINE1,
    line2: config.TALLY_ISSUER_LINE2,
    city: config.TALLY_ISSUER_CITY,
    postalCode: config.TALLY_ISSUER_POSTAL_CODE,
    region: config.TALLY_ISSUER_REGION,
    country: config.TALLY_ISSUER_COUNTRY,
  };
  return issuerSchema.parse({
    name: config.TALLY_ISSUER_NAME,
    address,
    taxId: config.TALLY_ISSUER_TAX_ID,
    paymentTermsDays: config.TALLY_ISSUER_PAYMENT_TERMS_DAYS,
  });
}
