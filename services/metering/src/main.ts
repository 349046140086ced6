/**
 * The metering process: traffic.samples → usage_hourly (PostgreSQL) → usage.hourly (through the outbox).
 * Reads its configuration, builds clients and wires the pure core to them; nothing else lives here.
 *
 * Loops in one process: the inventory consumer, the traffic-sample consumer, the timer that moves samples
 * waiting for the inventory on, and the outbox publisher. SIGTERM stops them all and exits 0.
 */
import { loadConfig } from '@tally/config';
import { createPool, ensureMigrated } from '@tally/db';
import {
  createIdempotentProducer,
  createKafka,
  createMetrics,
  createRegistry,
  ensureRegistryReady,
  lateSample,
  runConsumer,
  runOutboxPublisher,
  sendDeadLetters,
  serveMetrics,
  topics,
  typedTopic,
  typedTopics,
  valueCodec,
  type ValueCodec,
} from '@tally/kafka';
import { createLogger, shutdownWatchdog } from '@tally/log';
import { instance, trafficSample, usageHourly } from '@tally/records';
import { meteringEnv, retentionMs } from './config.ts';
import { deadLettersOf } from './dead-letters.ts';
import { inventoryConsumerSpec } from './inventory-consumer.ts';
import type { MeterPartitionOptions } from './meter-partition.ts';
import { waitForInventory } from './inventory-caught-up.ts';
import { runPendingFlusher } from './pending-flusher.ts';
import { trafficConsumerSpec } from './traffic-consumer.ts';

const SERVICE = 'metering';
const config = loadConfig(meteringEnv);
const log = createLogger(SERVICE);
const clock = () => Date.now() + config.METERING_CLOCK_OFFSET_MS;

// Signals may come while still starting: remember them and stop once everything is up.
let stopRequested: { reason: string; code: number } | undefined;
const starting = new AbortController();
let stop = (reason: string, code: number): void => {
  stopRequested ??= { reason, code };
  starting.abort();
};
process.once('SIGTERM', () => stop('SIGTERM', 0));
process.once('SIGINT', () => stop('SIGINT', 0));

const pool = createPool(config.DATABASE_URL, {
  schema: config.DB_SCHEMA,
  max: config.DB_POOL_MAX,
  applicationName: SERVICE,
});
await ensureMigrated(pool, config.DB_SCHEMA);
const kafka = createKafka(SERVICE, config.KAFKA_BROKERS, log);
const registry = createRegistry(config.SCHEMA_REGISTRY_URL);
const producer = createIdempotentProducer(kafka);
await producer.connect();
const metrics = createMetrics(SERVICE);
const metricsServer = await serveMetrics(metrics.registry, config.METERING_METRICS_PORT);

// Topic names may be overridden (tests, benchmarks); the schemas are the catalog's.
const samplesTopic = typedTopic({ ...topics.trafficSamples, name: config.METERING_SAMPLES_TOPIC }, trafficSample);
const instancesTopic = typedTopic({ ...topics.instances, name: config.METERING_INSTANCES_TOPIC }, instance);
const usageTopic = typedTopic({ ...topics.usageHourly, name: config.METERING_USAGE_TOPIC }, usageHourly);
const lateTopic = typedTopic({ ...typedTopics.lateSamples.spec, name: config.METERING_LATE_TOPIC }, lateSample);
// Stop now, naming the registry, if it does not answer or lacks a subject we read or write.
await ensureRegistryReady(
  registry,
  [samplesTopic, instancesTopic, usageTopic, lateTopic].map((topic) => topic.spec.name),
);

const meter: Omit<MeterPartitionOptions, 'deadLetter'> = {
  validation: { maxFutureSkewMs: config.METERING_MAX_FUTURE_SKEW_MS, retentionMs: retentionMs(config) },
  limits: { maxPending: config.METERING_MAX_PENDING, maxWaitMs: config.METERING_MAX_PENDING_WAIT_MS },
  usageTopic: usageTopic.spec.name,
  lateTopic: lateTopic.spec.name,
};
const consumerDeps = { kafka, producer, log, metrics, now: () => new Date(clock()) };

const inventoryConsumer = await runConsumer(
  inventoryConsumerSpec({
    service: SERVICE,
    groupId: config.METERING_INVENTORY_GROUP,
    topic: instancesTopic.spec.name,
    codec: valueCodec(registry, instancesTopic),
    pool,
    sessionTimeoutMs: config.METERING_SESSION_TIMEOUT_MS,
  }),
  consumerDeps,
);
// Samples wait for the inventory as it stood at start: otherwise a large fleet's first minutes go through the
// waiting room (see inventory-caught-up.ts).
const inventoryAdmin = kafka.admin();
try {
  await inventoryAdmin.connect();
  await waitForInventory({
    db: pool,
    groupId: config.METERING_INVENTORY_GROUP,
    topic: instancesTopic.spec.name,
    ends: await inventoryAdmin.fetchTopicOffsets(instancesTopic.spec.name),
    timeoutMs: config.METERING_INVENTORY_WAIT_MS,
    log,
    signal: starting.signal,
  });
} catch (error) {
  log.warn({ err: error }, 'could not learn the inventory end offsets; metering samples without waiting');
} finally {
  await inventoryAdmin.disconnect().catch(() => undefined);
}
const trafficConsumer = await runConsumer(
  trafficConsumerSpec({
    service: SERVICE,
    groupId: config.METERING_GROUP,
    topic: samplesTopic.spec.name,
    codec: valueCodec(registry, samplesTopic),
    pool,
    producer,
    clock,
    meter,
    maxBytesPerPartition: config.METERING_MAX_BYTES_PER_PARTITION,
    partitionsConcurrently: config.METERING_PARTITIONS_CONCURRENTLY,
    commitIntervalMs: config.METERING_COMMIT_INTERVAL_MS,
    commitMaxRecords: config.METERING_COMMIT_MAX_RECORDS,
    sessionTimeoutMs: config.METERING_SESSION_TIMEOUT_MS,
    log,
  }),
  consumerDeps,
);

// Samples that waited in the pending table are dead-lettered in the topic's own encoding (see dead-letters.ts).
const samplesCodec = valueCodec(registry, samplesTopic);
const background = new AbortController();
const publisher = runOutboxPublisher(
  {
    pool,
    producer,
    log,
    registry: metrics.registry,
    batchSize: config.METERING_OUTBOX_BATCH,
    codecs: new Map<string, ValueCodec<unknown>>([
      [usageTopic.spec.name, valueCodec(registry, usageTopic) as ValueCodec<unknown>],
      [lateTopic.spec.name, valueCodec(registry, lateTopic) as ValueCodec<unknown>],
    ]),
  },
  background.signal,
);
const flusher = runPendingFlusher(
  {
    pool,
    groupId: config.METERING_GROUP,
    topic: samplesTopic.spec.name,
    intervalMs: config.METERING_PENDING_FLUSH_MS,
    clock,
    log,
    meter: {
      ...meter,
      deadLetter: async (rejected) =>
        sendDeadLetters(
          producer,
          await deadLettersOf(rejected, new Map(), { topic: samplesTopic.spec.name, partition: -1 }, (sample) =>
            samplesCodec.encode(sample),
          ),
          SERVICE,
          new Date(clock()),
        ),
    },
  },
  background.signal,
);
log.info(
  { samples: samplesTopic.spec.name, group: config.METERING_GROUP, schema: config.DB_SCHEMA },
  'metering started',
);

let stopping = false;
async function shutdown(reason: string, code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ reason }, 'stopping');
  const watchdog = shutdownWatchdog(log, config.METERING_SHUTDOWN_DEADLINE_MS);
  watchdog.step('consumers');
  await Promise.all([trafficConsumer.stop(), inventoryConsumer.stop()]);
  background.abort();
  watchdog.step('outbox publisher and pending flusher');
  await Promise.all([publisher, flusher]);
  watchdog.step('producer');
  await producer.disconnect().catch(() => undefined);
  watchdog.step('database pool');
  await pool.end();
  watchdog.step('metrics server');
  await new Promise((resolve) => metricsServer.close(resolve));
  watchdog.done();
  // Peak memory for benchmarks and capacity planning (maxRSS is in KiB).
  log.info({ maxRssBytes: process.resourceUsage().maxRSS * 1024 }, 'stopped');
  process.exit(code);
}
stop = (reason, code) => void shutdown(reason, code);
if (stopRequested !== undefined) stop(stopRequested.reason, stopRequested.code);
for (const consumer of [trafficConsumer, inventoryConsumer]) {
  void consumer.crashed.then((error) => {
    log.error({ err: error }, 'consumer crashed');
    stop('consumer crashed', 1);
  });
}
