import { z } from 'zod';
import { epochMillis, id, nonNegativeDecimalString } from './primitives.ts';

export const priceTier = z.object({
  /** Upper bound of the tier, inclusive; null for the last, open-ended tier. */
  upTo: nonNegativeDecimalString.nullable(),
  unitPrice: nonNegativeDecimalString,
  /** Charged once when any quantity falls in the tier. */
  flatFee: nonNegativeDecimalString.default('0'),
});
export type PriceTier = z.infer<typeof priceTier>;

/** Tiers of one price: dozens at most in any real price book. */
export const MAX_TIERS = 100;

export const pricingModel = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('per_unit'), unitPrice: nonNegativeDecimalString }),
  z.object({ kind: z.literal('graduated'), tiers: z.array(priceTier).min(1).max(MAX_TIERS) }),
  z.object({ kind: z.literal('volume'), tiers: z.array(priceTier).min(1).max(MAX_TIERS) }),
  z.object({
    kind: z.literal('package'),
    packageSize: nonNegativeDecimalString,
    packagePrice: nonNegativeDecimalString,
  }),
]);
export type PricingModel = z.infer<typeof pricingModel>;

/**
 * One price book entry (topic prices, compacted, keyed by `${sku}|${currency}|${effectiveFrom ISO}`: see the
 * billing service's priceEntryKey).
 * SKUs: `compute.<instanceType>` priced per instance-hour, `egress.gb` and `ingress.gb` per GB (10^9 bytes).
 */
export const priceEntry = z.object({
  sku: id,
  currency: z.string().regex(/^[A-Z]{3}$/),
  effectiveFrom: epochMillis,
  unit: z.enum(['hour', 'gb']),
  model: pricingModel,
});
export type PriceEntry = z.infer<typeof priceEntry>;
