/**
 * A consumer process for the runtime's fault tests: sums txBytes per instance into PostgreSQL with the
 * offsets in the same transaction. Business rule for the dead-letter test: txBytes = 13 is refused.
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
import { createMetrics } from '../metrics.ts';
import { createIdempotentProducer } from '../producer.ts';
import { createRegistry } from '../registry.ts';
import { runConsumer } from '../consumer-runtime.ts';
import { typedTopic } from '../typed-topic.ts';
import { topics } from '../catalog.ts';
import type { ConsumedRecord } from '../consumed-record.ts';
import type { TrafficSample } from '@tally/records';

const env = loadConfig(
  connectionEnv.extend({
    SUM_TOPIC: z.string(),
    SUM_GROUP: z.string(),
    DB_SCHEMA: z.string(),
    MAX_BYTES_PER_PARTITION: z.coerce.number().int().default(16_384),
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

const running = await runConsumer<TrafficSample, Sum>(
  {
    service: 'sum-consumer',
    groupId: env.SUM_GROUP,
    topic: env.SUM_TOPIC,
    codec,
    maxBytesPerPartition: env.MAX_BYTES_PER_PARTITION,
    sessionTimeoutMs: 6_000,
    pipeline: ({ deadLetters }) =>
      comp(
        divert(isUnlucky, {
          emit: (record) =>
            deadLetters.emit({ record: record.raw, error: poison('BusinessRule', 'txBytes of 13 is refused') }),
        }),
        map((record: ConsumedRecord<TrafficSample>) => ({
          instanceId: record.value.instanceId,
          txBytes: record.value.txBytes,
        })),
      ),
    loadOffsets: (topic) => loadOffsets(pool, env.SUM_GROUP, topic),
    commit: (results, offsets) =>
      inTransaction(pool, async (client) => {
        for (const result of results) {
          await client.query(
            `INSERT INTO sums (instance_id, total, records) VALUES ($1, $2, 1)
             ON CONFLICT (instance_id) DO UPDATE SET total = sums.total + EXCLUDED.total, records = sums.records + 1`,
            [result.instanceId, result.txBytes],
          );
        }
        await advanceOffset(client, env.SUM_GROUP, offsets.topic, offsets.partition, offsets.from, offsets.to);
      }),
  },
  { kafka, producer, log, metrics: createMetrics('sum-consumer') },
);

const shutdown = async (signal: string) => {
  log.info({ signal }, 'stopping');
  await running.stop();
  await producer.disconnect();
  await pool.end();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
void running.crashed.then((error) => {
  log.error({ err: error }, 'consumer crashed');
  process.exit(1);
});
