/**
 * A consumer process for the runtime's fault tests: sums txBytes per instance into PostgreSQL with the
 * offsets in the same transaction. Business rule for the dead-letter test: txBytes = 13 is refused.
 * SUM_MODE=latest keeps the latest txBytes per instance instead (for compacted topics). SUM_FAULTS=1 injects the
 * failures of the error-isolation test: txBytes 77 makes the pipeline throw a RangeError, 88 makes the commit hit a
 * real PostgreSQL numeric overflow (22003), 99 a service error marked not retryable, and 55 a real serialization
 * failure (40001) on the first two commits that carry it, or for SUM_STALL_MS after its first failure when set
 * (with SUM_RETRY_ATTEMPTS as the retry budget, for the stall test); SUM_SLOW_COMMIT_MS makes that first failing
 * commit take so long first (longer than the session timeout: heartbeats must go on meanwhile).
 * COMMIT_INTERVAL_MS (and COMMIT_MAX_RECORDS) make it coalesce across fetches, so the same fault tests run over the
 * runtime's coalescing path: its commit accepts consecutive batches' results as one (sum adds, latest keeps the last).
 */
import { connectionEnv, loadConfig } from '@tally/config';
import { advanceOffset, createPool, inTransaction, loadOffsets } from '@tally/db';
import { createLogger } from '@tally/log';
import { trafficSample } from '@tally/records';
import { comp, divert, map } from '@tally/stream';
import { z } from 'zod';
import { createKafka } from '../client.ts';
import { valueCodec } from '../codec.ts';
import { poison } from '../errors.ts';
import { createMetrics, serveMetrics } from '../metrics.ts';
import { createIdempotentProducer } from '../producer.ts';
import { createRegistry } from '../registry.ts';
import { runConsumer } from '../consumer-runtime.ts';
import { typedTopic } from '../typed-topic.ts';
import { serveConsumerProcess } from './consumer-process.ts';
import { topics } from '../catalog.ts';
import type { ConsumedRecord } from '../consumed-record.ts';
import type { TrafficSample } from '@tally/records';

const env = loadConfig(
  connectionEnv.extend({
    SUM_TOPIC: z.string(),
    SUM_GROUP: z.string(),
    DB_SCHEMA: z.string(),
    MAX_BYTES_PER_PARTITION: z.coerce.number().int().default(16_384),
    SUM_MODE: z.enum(['sum', 'latest']).default('sum'),
    SUM_FAULTS: z.enum(['0', '1']).default('0'),
    METRICS_PORT: z.coerce.number().int().optional(),
    SUM_STALL_MS: z.coerce.number().int().default(0),
    SUM_RETRY_ATTEMPTS: z.coerce.number().int().optional(),
    SUM_SLOW_COMMIT_MS: z.coerce.number().int().default(0),
    /** The service named in dead letters, so consumers side by side on one topic tell theirs apart. */
    SUM_SERVICE: z.string().default('sum-consumer'),
    COMMIT_INTERVAL_MS: z.coerce.number().int().positive().optional(),
    COMMIT_MAX_RECORDS: z.coerce.number().int().positive().optional(),
  }),
);
const log = createLogger('sum-consumer', process.env['LOG_LEVEL'] ?? 'warn');
const pool = createPool(env.DATABASE_URL, { schema: env.DB_SCHEMA, max: 4 });
const kafka = createKafka('sum-consumer', env.KAFKA_BROKERS, log);
const producer = createIdempotentProducer(kafka);
await producer.connect();
const codec = valueCodec(
  createRegistry(env.SCHEMA_REGISTRY_URL),
  typedTopic({ ...topics.trafficSamples, name: env.SUM_TOPIC }, trafficSample),
);

type Sum = { instanceId: string; txBytes: number };
const isUnlucky = (record: ConsumedRecord<TrafficSample>) => record.value.txBytes === 13;
const faults = env.SUM_FAULTS === '1';
const metrics = createMetrics('sum-consumer');
if (env.METRICS_PORT !== undefined) await serveMetrics(metrics.registry, env.METRICS_PORT);

/** Like billing's BillingMonthError: the service says retrying cannot help. */
class AccountClosedError extends Error {
  override readonly name = 'AccountClosedError';
  readonly retryable = false;
}
let serializationFailures = 0;
let firstSerializationFailure: number | undefined;
/** Whether the commit carrying txBytes 55 fails (again) with a serialization failure. */
const failsSerializing = (): boolean => {
  if (env.SUM_STALL_MS === 0) return serializationFailures < 2;
  firstSerializationFailure ??= Date.now();
  return Date.now() - firstSerializationFailure < env.SUM_STALL_MS;
};

const accumulate =
  env.SUM_MODE === 'sum'
    ? `INSERT INTO sums (instance_id, total, records) VALUES ($1, $2, 1)
       ON CONFLICT (instance_id) DO UPDATE SET total = sums.total + EXCLUDED.total, records = sums.records + 1`
    : `INSERT INTO sums (instance_id, total, records) VALUES ($1, $2, 1)
       ON CONFLICT (instance_id) DO UPDATE SET total = EXCLUDED.total, records = sums.records + 1`;

const running = await runConsumer<TrafficSample, Sum>(
  {
    service: env.SUM_SERVICE,
    groupId: env.SUM_GROUP,
    topic: env.SUM_TOPIC,
    codec,
    maxBytesPerPartition: env.MAX_BYTES_PER_PARTITION,
    sessionTimeoutMs: 6_000,
    ...(env.SUM_RETRY_ATTEMPTS === undefined ? {} : { retryBudget: { attempts: env.SUM_RETRY_ATTEMPTS } }),
    ...(env.COMMIT_INTERVAL_MS === undefined ? {} : { commitIntervalMs: env.COMMIT_INTERVAL_MS }),
    ...(env.COMMIT_MAX_RECORDS === undefined ? {} : { commitMaxRecords: env.COMMIT_MAX_RECORDS }),
    pipeline: ({ deadLetters }) =>
      comp(
        divert(isUnlucky, {
          emit: (record) =>
            deadLetters.emit({ record: record.raw, error: poison('BusinessRule', 'txBytes of 13 is refused') }),
        }),
        map((record: ConsumedRecord<TrafficSample>) => {
          if (faults && record.value.txBytes === 77) throw new RangeError('txBytes 77 is out of range (injected)');
          return { instanceId: record.value.instanceId, txBytes: record.value.txBytes };
        }),
      ),
    loadOffsets: (topic) => loadOffsets(pool, env.SUM_GROUP, topic),
    commit: (results, offsets) =>
      inTransaction(pool, async (client) => {
        for (const result of results) {
          await client.query(accumulate, [result.instanceId, result.txBytes]);
          if (!faults) continue;
          if (result.txBytes === 88) await client.query('SELECT 12345678::numeric(5, 0)');
          if (result.txBytes === 99)
            throw new AccountClosedError(`account of ${result.instanceId} is closed (injected)`);
          if (result.txBytes === 55 && failsSerializing()) {
            if (serializationFailures === 0 && env.SUM_SLOW_COMMIT_MS > 0)
              await client.query('SELECT pg_sleep($1)', [env.SUM_SLOW_COMMIT_MS / 1000]);
            serializationFailures += 1;
            await client.query(
              `DO $$ BEGIN RAISE EXCEPTION 'injected serialization failure' USING ERRCODE = 'serialization_failure'; END $$`,
            );
          }
        }
        await advanceOffset(client, env.SUM_GROUP, offsets.topic, offsets.partition, offsets.from, offsets.to);
      }),
  },
  { kafka, producer, log, metrics },
);

serveConsumerProcess('sum-consumer', { running, producer, pool, log });
