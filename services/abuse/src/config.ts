import { readFile } from 'node:fs/promises';
import { connectionEnv, dbSchemaName } from '@tally/config';
import { topics } from '@tally/kafka';
import { z } from 'zod';
import { defaultPolicy, parsePolicy, type AbusePolicy } from './core/policy.ts';

/** Abuse's environment. Topic names default to the catalog; tests point a process at fresh topics. */
export const abuseEnv = connectionEnv.extend({
  DB_SCHEMA: dbSchemaName.default('abuse'),
  DB_POOL_MAX: z.coerce.number().int().positive().default(6),
  /** Group id prefix: one group per input topic (`abuse-usage`, `abuse-payments`...). A new prefix replays all. */
  ABUSE_GROUP: z.string().min(1).default('abuse'),
  ABUSE_ACCOUNTS_TOPIC: z.string().min(1).default(topics.accounts.name),
  ABUSE_USAGE_TOPIC: z.string().min(1).default(topics.usageHourly.name),
  ABUSE_BILLING_HOURLY_TOPIC: z.string().min(1).default(topics.billingHourly.name),
  ABUSE_PAYMENTS_TOPIC: z.string().min(1).default(topics.payments.name),
  ABUSE_INVOICES_TOPIC: z.string().min(1).default(topics.invoices.name),
  ABUSE_DECISIONS_TOPIC: z.string().min(1).default(topics.abuseDecisions.name),
  ABUSE_ACTIONS_TOPIC: z.string().min(1).default(topics.accountActions.name),
  ABUSE_NOTICES_TOPIC: z.string().min(1).default(topics.emailNotifications.name),
  /** The policy file (YAML, README "Policy"); the defaults without one. */
  ABUSE_POLICY_FILE: z.string().min(1).optional(),
  /** Pause between decider passes when the last one had nothing to do. */
  ABUSE_DECIDE_INTERVAL_MS: z.coerce.number().int().positive().default(2_000),
  ABUSE_DECIDE_BATCH: z.coerce.number().int().positive().default(200),
  ABUSE_SHUTDOWN_DEADLINE_MS: z.coerce.number().int().positive().default(20_000),
  ABUSE_SESSION_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  ABUSE_MAX_BYTES_PER_PARTITION: z.coerce.number().int().positive().default(1_048_576),
  ABUSE_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(9466),
});
export type AbuseConfig = z.infer<typeof abuseEnv>;

/** The policy of `ABUSE_POLICY_FILE`, validated; a bad file stops the start-up with each bad field named. */
export async function loadPolicy(file: string | undefined): Promise<AbusePolicy> {
  if (file === undefined) return defaultPolicy;
  return parsePolicy(await readFile(file, 'utf8'));
}
