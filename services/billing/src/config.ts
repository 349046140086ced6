import { connectionEnv, dbSchemaName } from '@tally/config';
import { topics } from '@tally/kafka';
import { z } from 'zod';

const HOUR_MS = 3_600_000;

/**
 * Billing's environment. Topic names default to the catalog; tests and benchmarks point a process at fresh topics
 * so that runs never see each other's records.
 */
export const billingEnv = connectionEnv.extend({
  /** Billing's tables live here; its own schema by default, since the outbox table is per schema. */
  DB_SCHEMA: dbSchemaName.default('billing'),
  /**
   * Where metering's outbox lives (same database): the finalizer waits while usage.hourly rows are unsent there and
   * refuses while any is parked. Billing's own schema when unset (the demo and tests share one schema).
   */
  BILLING_METERING_SCHEMA: dbSchemaName.optional(),
  /**
   * Metering's traffic group and the samples topic it reads: before finalizing a month, the finalizer waits until
   * metering's offsets (in BILLING_METERING_SCHEMA) reach where traffic.samples ended when the month fell due.
   */
  BILLING_METERING_GROUP: z.string().min(1).default('metering'),
  BILLING_SAMPLES_TOPIC: z.string().min(1).default(topics.trafficSamples.name),
  /**
   * false: no metering feeds this billing (tests and benchmarks that produce usage.hourly themselves): the finalizer
   * does not wait for traffic.samples, only for metering's outbox and billing's own consumers.
   */
  BILLING_FINALIZE_WAIT_FOR_METERING: z.enum(['true', 'false']).default('true'),
  DB_POOL_MAX: z.coerce.number().int().positive().default(8),
  /** A SIGTERM shutdown that takes longer (a hung connection) is cut: logged as an error, exit 1. */
  BILLING_SHUTDOWN_DEADLINE_MS: z.coerce.number().int().positive().default(20_000),
  /**
   * Apply pending migrations at start-up. Off by default: migrations run under the owner role (`pnpm tally db
   * migrate`), and billing's own role has no DDL rights.
   */
  BILLING_MIGRATE: z.enum(['true', 'false']).default('false'),
  BILLING_GROUP: z.string().min(1).default('billing'),
  BILLING_USAGE_TOPIC: z.string().min(1).default(topics.usageHourly.name),
  BILLING_PRICES_TOPIC: z.string().min(1).default(topics.prices.name),
  BILLING_ACCOUNTS_TOPIC: z.string().min(1).default(topics.accounts.name),
  BILLING_PAYMENTS_TOPIC: z.string().min(1).default(topics.payments.name),
  BILLING_HOURLY_TOPIC: z.string().min(1).default(topics.billingHourly.name),
  /** Finalized invoices are published here (compacted) for abuse, drip and the API. */
  BILLING_INVOICES_TOPIC: z.string().min(1).default(topics.invoices.name),
  /** An invoice is due this many days after it is finalized. */
  BILLING_INVOICE_DUE_DAYS: z.coerce.number().nonnegative().default(14),
  /** A month is finalized this long after its end in the account's time zone (longer than metering's lateness). */
  BILLING_GRACE_HOURS: z.coerce.number().nonnegative().default(72),
  /** How many months before the next invoice are re-checked for late usage. */
  BILLING_ADJUSTMENT_MONTHS: z.coerce.number().int().min(0).default(3),
  BILLING_ISSUER: z.string().min(1).default('tally'),
  BILLING_INVOICE_PREFIX: z
    .string()
    .regex(/^[A-Z][A-Z0-9]*$/)
    .default('INV'),
  /** Pause between finalizer passes, and between draft refreshes when nothing is marked. */
  BILLING_FINALIZE_INTERVAL_MS: z.coerce.number().int().positive().default(60_000),
  BILLING_DRAFT_REFRESH_MS: z.coerce.number().int().positive().default(1_000),
  /** Accounts per draft-refresh or finalization transaction. */
  BILLING_INVOICE_BATCH: z.coerce.number().int().positive().default(200),
  /** Shifts the clock (replaying a period as if it were now); 0 in production. */
  BILLING_CLOCK_OFFSET_MS: z.coerce.number().int().default(0),
  BILLING_MAX_BYTES_PER_PARTITION: z.coerce.number().int().positive().default(1_048_576),
  /**
   * Coalescing across fetches for usage.hourly (issue 15, the runtime's ConsumerSpec.commitIntervalMs): a partition's
   * usage is held from fetch to fetch and applied in one transaction once the first held fetch waited this long (ms;
   * 0 commits every fetch). An account-hour touched by several fetches of a partition is then computed, stored and
   * published once, with one set of statements. Adds up to this much to the time from usage to its billing.hourly.
   */
  BILLING_USAGE_COMMIT_INTERVAL_MS: z.coerce.number().int().nonnegative().default(1_000),
  /** ...or once this many usage records of one partition are held: the memory bound (decoded records per partition). */
  BILLING_USAGE_COMMIT_MAX_RECORDS: z.coerce.number().int().positive().default(20_000),
  BILLING_SESSION_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  BILLING_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(9465),
});
export type BillingConfig = z.infer<typeof billingEnv>;

export function graceMs(config: Pick<BillingConfig, 'BILLING_GRACE_HOURS'>): number {
  return Math.round(config.BILLING_GRACE_HOURS * HOUR_MS);
}
