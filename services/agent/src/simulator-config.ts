import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionEnv } from '@tally/config';
import { topics } from '@tally/kafka';
import { z } from 'zod';

const fraction = z.coerce.number().min(0).max(1);
const batchRange = z
  .string()
  .regex(/^\d+-\d+$/, 'expected "from-to" batch indexes, e.g. "40-80"')
  .transform((value) => {
    const [from, to] = value.split('-').map(Number);
    return { from: from ?? 0, to: to ?? 0 };
  });

/** The simulator's environment: fleet, period, fault injection, where to send and where to write the truth. */
export const simulatorEnv = connectionEnv.extend({
  AGENT_MODE: z.enum(['simulate']).default('simulate'),
  AGENT_SEED: z.coerce.number().int().default(42),
  AGENT_HYPERVISORS: z.coerce.number().int().positive().default(10),
  AGENT_INSTANCES_PER_HYPERVISOR: z.coerce.number().int().positive().default(20),
  /** Default: one per four instances. Keep it under ~20k for a 2025 period: account i is created i+1 days before. */
  AGENT_ACCOUNTS: z.coerce.number().int().positive().optional(),
  AGENT_PERIOD_FROM: z.iso.datetime().default('2025-01-01T00:00:00Z'),
  AGENT_PERIOD_MINUTES: z.coerce
    .number()
    .int()
    .positive()
    .default(24 * 60),
  /** Prepended to every instance and account id, so runs against shared topics never collide. */
  AGENT_ID_PREFIX: z.string().default(''),
  AGENT_DUPLICATE_FRACTION: fraction.default(0),
  AGENT_DUPLICATE_MAX_DELAY: z.coerce.number().int().positive().default(1_000),
  /** Shuffle within blocks of this many samples; 1 keeps the order. */
  AGENT_REORDER_WINDOW: z.coerce.number().int().positive().default(1),
  AGENT_LATE_FRACTION: fraction.default(0),
  AGENT_LATE_DELAY_MINUTES: z.coerce.number().int().nonnegative().default(120),
  /** Event-time outage: samples with a window start in [from, to) are held and sent after it, as the spool would. */
  AGENT_OUTAGE_FROM: z.iso.datetime().optional(),
  AGENT_OUTAGE_TO: z.iso.datetime().optional(),
  /** Send-path outage: submitted batches with these indexes fail, so they go through the real spool. */
  AGENT_FAIL_BATCHES: batchRange.optional(),
  AGENT_BATCH_SIZE: z.coerce.number().int().positive().default(2_000),
  AGENT_RETRY_MS: z.coerce.number().int().positive().default(1_000),
  AGENT_SPOOL_DIR: z.string().default(join(tmpdir(), 'tally-agent-spool')),
  AGENT_SPOOL_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(512 * 2 ** 20),
  AGENT_SPOOL_MAX_RECORDS: z.coerce.number().int().positive().default(4_000_000),
  /** When set, the per instance-hour ground truth is written there as JSON before any sample is sent. */
  AGENT_GROUND_TRUTH_FILE: z.string().optional(),
  AGENT_SAMPLES_TOPIC: z.string().min(1).default(topics.trafficSamples.name),
  AGENT_INSTANCES_TOPIC: z.string().min(1).default(topics.instances.name),
  AGENT_ACCOUNTS_TOPIC: z.string().min(1).default(topics.accounts.name),
  AGENT_PROGRESS_MS: z.coerce.number().int().positive().default(5_000),
});
export type SimulatorConfig = z.infer<typeof simulatorEnv>;
