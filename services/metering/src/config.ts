import { connectionEnv, dbSchemaName } from '@tally/config';
import { topics } from '@tally/kafka';
import { z } from 'zod';

const DAY_MS = 86_400_000;

/**
 * Metering's environment. Topic names default to the catalog; tests and benchmarks point a process at fresh
 * topics so that runs never see each other's records.
 */
export const meteringEnv = connectionEnv.extend({
  DB_SCHEMA: dbSchemaName.default('public'),
  METERING_GROUP: z.string().min(1).default('metering'),
  METERING_INVENTORY_GROUP: z.string().min(1).default('metering-inventory'),
  METERING_SAMPLES_TOPIC: z.string().min(1).default(topics.trafficSamples.name),
  METERING_INSTANCES_TOPIC: z.string().min(1).default(topics.instances.name),
  METERING_USAGE_TOPIC: z.string().min(1).default(topics.usageHourly.name),
  METERING_LATE_TOPIC: z.string().min(1).default(topics.lateSamples.name),
  /** How long an instance-hour stays open after its end (invariant 4); tests replaying a past day set it large. */
  METERING_RETENTION_DAYS: z.coerce.number().positive().default(7),
  METERING_MAX_FUTURE_SKEW_MS: z.coerce.number().int().nonnegative().default(120_000),
  METERING_MAX_PENDING: z.coerce.number().int().nonnegative().default(100_000),
  METERING_MAX_PENDING_WAIT_MS: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(15 * 60_000),
  /** How often samples waiting for the inventory are re-examined (released or expired) without new traffic. */
  METERING_PENDING_FLUSH_MS: z.coerce.number().int().positive().default(1_000),
  /** Shifts the clock, for replaying a period as if it were now; 0 in production. */
  METERING_CLOCK_OFFSET_MS: z.coerce.number().int().default(0),
  /**
   * Most bytes of one partition per fetch, hence per commit. Larger batches coalesce: an instance-hour touched
   * by several samples of a batch is loaded, written and published once per commit, not once per sample.
   */
  METERING_MAX_BYTES_PER_PARTITION: z.coerce.number().int().positive().default(4_194_304),
  /**
   * traffic.samples partitions metered at once, each batch in its own transaction. 2 overlaps one partition's
   * PostgreSQL work with the next one's decoding and merging: 100k instances 7.8k → 11.4k samples/s (3: 14.6k, but
   * peak RSS +90 MiB and a slower outbox drain).
   */
  METERING_PARTITIONS_CONCURRENTLY: z.coerce.number().int().positive().default(2),
  /**
   * Coalescing across fetches (issue 15): a partition's samples are held from fetch to fetch and metered in one
   * commit once the first held one waited this long (ms; 0 commits every fetch). An instance-hour's samples that
   * arrive in different fetches are then loaded, written and published once. It adds up to this much to the time
   * from a sample to its usage.hourly value.
   */
  METERING_COMMIT_INTERVAL_MS: z.coerce.number().int().nonnegative().default(1_000),
  /**
   * ...or once this many samples of one partition are held: the memory bound (decoded samples per partition).
   * 10,000 (was 50,000): at 100k instances no slower and no worse in p99 within the noise of a shared machine,
   * and less held per partition that is behind (README, "Round 4").
   */
  METERING_COMMIT_MAX_RECORDS: z.coerce.number().int().positive().default(10_000),
  /** At start, how long samples wait for the inventory consumer to read the inventory to its end. */
  METERING_INVENTORY_WAIT_MS: z.coerce.number().int().nonnegative().default(60_000),
  /** Outbox rows (usage.hourly values) sent per publisher transaction: fewer, larger round trips. */
  METERING_OUTBOX_BATCH: z.coerce.number().int().positive().default(5_000),
  METERING_SESSION_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  METERING_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(9464),
  DB_POOL_MAX: z.coerce.number().int().positive().default(6),
  /** A SIGTERM shutdown that takes longer (a hung connection) is cut: logged as an error, exit 1. */
  METERING_SHUTDOWN_DEADLINE_MS: z.coerce.number().int().positive().default(20_000),
});
export type MeteringConfig = z.infer<typeof meteringEnv>;

export function retentionMs(config: Pick<MeteringConfig, 'METERING_RETENTION_DAYS'>): number {
  return Math.round(config.METERING_RETENTION_DAYS * DAY_MS);
}
