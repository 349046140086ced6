import { connectionEnv, dbSchemaName } from '@tally/config';
import { topics } from '@tally/kafka';
import { z } from 'zod';

/** Drip's environment. Topic and group names default to the catalog's; tests point a process at fresh ones. */
export const dripEnv = connectionEnv.extend({
  DB_SCHEMA: dbSchemaName.default('public'),
  /** The funnel's delays and thresholds (YAML); services/drip/policy.yaml by default. */
  DRIP_POLICY_FILE: z.string().min(1).optional(),
  /** Prefix of the four consumer groups: `<prefix>-accounts`, `-instances`, `-payments`, `-billing`. */
  DRIP_GROUP_PREFIX: z.string().min(1).default('drip'),
  DRIP_ACCOUNTS_TOPIC: z.string().min(1).default(topics.accounts.name),
  DRIP_INSTANCES_TOPIC: z.string().min(1).default(topics.instances.name),
  DRIP_PAYMENTS_TOPIC: z.string().min(1).default(topics.payments.name),
  DRIP_BILLING_TOPIC: z.string().min(1).default(topics.billingHourly.name),
  DRIP_NOTIFICATIONS_TOPIC: z.string().min(1).default(topics.emailNotifications.name),
  /** How often the decider looks at the watermark (pacing only: decisions depend on event time alone). */
  DRIP_DECIDE_INTERVAL_MS: z.coerce.number().int().positive().default(1_000),
  DRIP_SESSION_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  DRIP_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(9467),
  DRIP_SHUTDOWN_DEADLINE_MS: z.coerce.number().int().positive().default(20_000),
  DB_POOL_MAX: z.coerce.number().int().positive().default(6),
});
export type DripConfig = z.infer<typeof dripEnv>;
