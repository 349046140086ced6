import { z } from 'zod';
import { count, epochMillis, id, text } from './primitives.ts';

export const abuseStatus = z.enum(['good', 'watch', 'warned', 'suspended', 'terminated', 'cleared']);
export type AbuseStatus = z.infer<typeof abuseStatus>;

/** One measured fact behind a decision ("cpuRatio" = "0.98"); values are strings so decimals stay exact. */
export const evidence = z.object({ name: id, value: text(1_000) });
export type Evidence = z.infer<typeof evidence>;

export const abuseTransition = z.object({
  from: abuseStatus,
  to: abuseStatus,
  hourStart: epochMillis,
  reason: text(500),
  evidence: z.array(evidence).max(50),
});
export type AbuseTransition = z.infer<typeof abuseTransition>;

/** An account's abuse state (topic abuse.decisions, compacted, keyed by account id): full value with a version. */
export const abuseDecision = z.object({
  accountId: id,
  status: abuseStatus,
  reason: text(500),
  /** Event time (epoch millis of the hour) the account entered `status`. */
  sinceHour: epochMillis,
  evidence: z.array(evidence).max(50),
  /** Transitions, oldest first (the last 100 are kept). */
  history: z.array(abuseTransition).max(100),
  version: count,
});
export type AbuseDecision = z.infer<typeof abuseDecision>;
