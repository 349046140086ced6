import { nonNegativeDecimalString } from '@tally/records';
import { parse } from 'yaml';
import { z } from 'zod';

const hours = z
  .number()
  .int()
  .min(0)
  .max(24 * 366);

/**
 * Thresholds and delays of the abuse machine. Every field has a default (README, "Policy"), so an empty file is
 * the default policy. Hours are event-time hours: they pass with the streams' watermark, not the wall clock.
 */
export const abusePolicy = z.strictObject({
  /** Hours the watermark stays behind the latest clock hour (usage.hourly, billing.hourly): late data still lands. */
  latenessHours: hours.default(2),
  /** vCPUs per instance type; usage of an unknown type never counts as hot. */
  instanceTypes: z.record(z.string().min(1), z.number().int().positive()).default({
    's1.small': 1,
    's1.medium': 2,
    'g1.large': 8,
  }),
  mining: z
    .strictObject({
      /** An instance-hour is hot when CPU seconds / (running seconds x vCPUs) reaches this. */
      cpuRatio: z.number().gt(0).max(1).default(0.9),
      /** ...and it ran at least this long in the hour (a few busy seconds are not mining). */
      minRunningSeconds: z.number().int().min(1).max(3600).default(1800),
      /** An account is young for this many days after it was created. */
      youngDays: z.number().int().min(0).default(30),
      /** Burning fast: at the hour's charge, the whole free credit would be gone within this many hours. */
      creditGoneWithinHours: hours.default(14 * 24),
      /** Consecutive suspicious hours before the account is watched, and before it is suspended. */
      watchAfterHours: hours.min(1).default(1),
      suspendAfterHours: hours.min(1).default(3),
      /** Consecutive hot hours of a paying customer before it goes to watch (never further for use alone). */
      heavyWatchAfterHours: hours.min(1).default(6),
    })
    .default({
      cpuRatio: 0.9,
      minRunningSeconds: 1800,
      youngDays: 30,
      creditGoneWithinHours: 336,
      watchAfterHours: 1,
      suspendAfterHours: 3,
      heavyWatchAfterHours: 6,
    }),
  latePayment: z
    .strictObject({
      /** After the due date, before the reminder. */
      reminderAfterHours: hours.default(24),
      /** After the reminder, before the warning. */
      warningAfterHours: hours.default(72),
      /** After the warning, before the suspension. */
      suspendAfterHours: hours.default(72),
      /** Invoices with a total at or below this are not chased. */
      minimumAmount: nonNegativeDecimalString.default('0'),
    })
    .default({ reminderAfterHours: 24, warningAfterHours: 72, suspendAfterHours: 72, minimumAmount: '0' }),
  /** A suspension nobody lifted (payment, a person) becomes a termination after this many hours. */
  terminateAfterHours: hours.min(1).default(30 * 24),
});
export type AbusePolicy = z.infer<typeof abusePolicy>;

export const defaultPolicy: AbusePolicy = abusePolicy.parse({});

/**
 * Parses a policy file's text; throws a ZodError naming each bad field.
 *
 * @example
 * parsePolicy('mining:\n  suspendAfterHours: 4\n').mining.suspendAfterHours; // 4
 */
export function parsePolicy(text: string): AbusePolicy {
  const document: unknown = parse(text) ?? {};
  return abusePolicy.parse(document);
}
