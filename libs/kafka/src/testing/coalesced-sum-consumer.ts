/**
 * A coalescing consumer process for the runtime's tests of `commitIntervalMs`: sums txBytes per instance into
 * PostgreSQL with the offsets in the same transaction, holding results across fetches (COMMIT_INTERVAL_MS,
 * COMMIT_MAX_RECORDS). Each commit is also recorded in `commits` (partition, from, to, results), so a test can see
 * that commits spanned several fetches. Faults: txBytes 77 makes the pipeline throw a RangeError, 88 makes the
 * commit hit a real PostgreSQL numeric overflow (22003), wherever they sit in a coalesced range.
 */
import { connectionEnv, loadConfig } from '@tally/config';
import { advanceOffset, createPool, inTransaction, loadOffsets } from '@tally/db';
import { createLogger } from '@tally/log';
import { trafficSample, type TrafficSample } from '@tally/records';
import { map } from '@tally/stream';
import { z } from 'zod';
import { topics } from '../catalog.ts';
import { createKafka } from '../client.ts';
import { valueCodec } from '../codec.ts';
import type { ConsumedRecord } from '../consumed-record.ts';
import { runConsumer } from '../consumer-runtime.ts';
import { createMetrics, serveMetrics } from '../metrics.ts';
import { createIdempotentProducer } from '../producer.ts';
import { createRegistry } from '../registry.ts';
import { typedTopic } from '../typed-topic.ts';
import { serveConsumerProcess } from './consumer-process.ts';

const env = loadConfig(
  connectionEnv.extend({
    SUM_TOPIC: z.string(),
    SUM_GROUP: z.string(),
    DB_SCHEMA: z.string(),
    MAX_BYTES_PER_PARTITION: z.coerce.number().int().default(4_096),
    COMMIT_INTERVAL_MS: z.coerce.number().int().positive(),
    COMMIT_MAX_RECORDS: z.coerce.number().int().positive(),
    METRICS_PORT: z.coerce.number().int().optional(),
  }),
);
const log = createLogger('coalesced-sum-consumer', process.env['LOG_LEVEL'] ?? 'warn');
const pool = createPool(env.DATABASE_URL, { schema: env.DB_SCHEMA, max: 4 });
const kafka = createKafka('coalesced-sum-consumer', env.KAFKA_BROKERS, log);
const producer = createIdempotentProducer(kafka);
await producer.connect();
const codec = valueCodec(
  createRegistry(env.SCHEMA_REGISTRY_URL),
  typedTopic({ ...topics.trafficSamples, name: env.SUM_TOPIC }, trafficSample),
);
const metrics = createMetrics('coalesced-sum-consumer');
if (env.METRICS_PORT !== undefined) await serveMetrics(metrics.registry, env.METRICS_PORT);

type Sum = { instanceId: string; txBytes: number };

const running = await runConsumer<TrafficSample, Sum>(
  {
    service: 'coalesced-sum-consumer',
    groupId: env.SUM_GROUP,
    topic: env.SUM_TOPIC,
    codec,
    maxBytesPerPartition: env.MAX_BYTES_PER_PARTITION,
    sessionTimeoutMs: 6_000,
    partitionsConsumedConcurrently: 2,
    commitIntervalMs: env.COMMIT_INTERVAL_MS,
    commitMaxRecords: env.COMMIT_MAX_RECORDS,
    pipeline: () =>
      map((record: ConsumedRecord<TrafficSample>) => {
        if (record.value.txBytes === 77) throw new RangeError('txBytes 77 is out of range (injected)');
        return { instanceId: record.value.instanceId, txBytes: record.value.txBytes };
      }),
    loadOffsets: (topic) => loadOffsets(pool, env.SUM_GROUP, topic),
    commit: (results, offsets) =>
      inTransaction(pool, async (client) => {
        // One statement for the batch: a coalesced commit writes each instance once.
        const totals = new Map<string, { total: number; records: number }>();
        for (const { instanceId, txBytes } of results) {
          const so = totals.get(instanceId) ?? { total: 0, records: 0 };
          totals.set(instanceId, { total: so.total + txBytes, records: so.records + 1 });
        }
        await client.query(
          `INSERT INTO sums (instance_id, total, records)
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[])
           ON CONFLICT (instance_id) DO UPDATE
             SET total = sums.total + EXCLUDED.total, records = sums.records + EXCLUDED.records`,
          [[...totals.keys()], [...totals.values()].map((t) => t.total), [...totals.values()].map((t) => t.records)],
        );
        if (results.some((result) => result.txBytes === 88)) await client.query('SELECT 12345678::numeric(5, 0)');
        await client.query('INSERT INTO commits (partition, from_offset, to_offset, results) VALUES ($1, $2, $3, $4)', [
          offsets.partition,
          offsets.from ?? null,
          offsets.to,
          results.length,
        ]);
        await advanceOffset(client, env.SUM_GROUP, offsets.topic, offsets.partition, offsets.from, offsets.to);
      }),
  },
  { kafka, producer, log, metrics },
);

serveConsumerProcess('coalesced-sum-consumer', { running, producer, pool, log });
