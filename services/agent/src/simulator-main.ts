/**
 * The simulator process (AGENT_MODE=simulate, see main.ts): a deterministic fleet publishes its accounts and
 * inventory, then a period of traffic samples with the configured faults, through the spool when the broker
 * cannot be reached; writes the ground truth for tests; exits 0 when everything is acknowledged.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@tally/config';
import {
  createIdempotentProducer,
  createKafka,
  createRegistry,
  ensureRegistryReady,
  topics,
  typedTopic,
  valueCodec,
  type TypedTopic,
} from '@tally/kafka';
import { createLogger } from '@tally/log';
import { account, instance, trafficSample } from '@tally/records';
import { z } from 'zod';
import { createFleet } from './fleet.ts';
import { writeGroundTruth } from './ground-truth-file.ts';
import { groundTruth } from './ground-truth.ts';
import { InjectedOutage } from './injected-outage.ts';
import { prefixFleet } from './prefix-fleet.ts';
import { SampleSender, type SendSamples } from './sample-sender.ts';
import { simulatedStream, type StreamFaults } from './simulated-stream.ts';
import { runSimulation } from './simulation.ts';
import { simulatorEnv } from './simulator-config.ts';
import { Spool } from './spool.ts';

const config = loadConfig(simulatorEnv);
const log = createLogger('agent');
const kafka = createKafka('agent', config.KAFKA_BROKERS, log);
const registry = createRegistry(config.SCHEMA_REGISTRY_URL);
const producer = createIdempotentProducer(kafka);

const from = Date.parse(config.AGENT_PERIOD_FROM);
const period = { from, to: from + config.AGENT_PERIOD_MINUTES * 60_000 };
const fleet = prefixFleet(
  createFleet({
    seed: config.AGENT_SEED,
    hypervisors: config.AGENT_HYPERVISORS,
    instancesPerHypervisor: config.AGENT_INSTANCES_PER_HYPERVISOR,
    period,
    ...(config.AGENT_ACCOUNTS === undefined ? {} : { accounts: config.AGENT_ACCOUNTS }),
  }),
  config.AGENT_ID_PREFIX,
);
const faults: StreamFaults = {
  duplicates: { fraction: config.AGENT_DUPLICATE_FRACTION, maxDelay: config.AGENT_DUPLICATE_MAX_DELAY },
  reorderWindow: config.AGENT_REORDER_WINDOW,
  late: { fraction: config.AGENT_LATE_FRACTION, delayMs: config.AGENT_LATE_DELAY_MINUTES * 60_000 },
  ...(config.AGENT_OUTAGE_FROM !== undefined && config.AGENT_OUTAGE_TO !== undefined
    ? { outage: { from: Date.parse(config.AGENT_OUTAGE_FROM), to: Date.parse(config.AGENT_OUTAGE_TO) } }
    : {}),
};

if (config.AGENT_GROUND_TRUTH_FILE !== undefined) {
  // The stream is deterministic: a first pass over it gives the truth, faults and all.
  const truth = groundTruth(simulatedStream(fleet, period, faults));
  await writeGroundTruth(config.AGENT_GROUND_TRUTH_FILE, truth, truth.distinctSamples + truth.duplicates);
  log.info(
    { file: config.AGENT_GROUND_TRUTH_FILE, distinct: truth.distinctSamples, duplicates: truth.duplicates },
    'ground truth written',
  );
}

/** Sends records to a topic, keyed by `keyOf`, waiting for all replicas. */
function topicSender<T>(topic: TypedTopic<T>, keyOf: (value: T) => string) {
  const codec = valueCodec(registry, topic);
  return async (values: readonly T[]): Promise<void> => {
    const messages = await Promise.all(
      values.map(async (value) => ({ key: keyOf(value), value: await codec.encode(value) })),
    );
    await producer.send({ topic: topic.spec.name, acks: -1, messages });
  };
}

/** Retries until it succeeds: accounts and inventory are few and must precede the samples. */
function persistently<T>(send: (values: readonly T[]) => Promise<void>, what: string) {
  return async (values: readonly T[]): Promise<void> => {
    for (;;) {
      try {
        await send(values);
        return;
      } catch (error) {
        // A record that does not validate will not validate on retry either.
        if (error instanceof z.ZodError) throw error;
        log.warn({ err: error, what }, 'publish failed; retrying');
        await sleep(config.AGENT_RETRY_MS);
      }
    }
  };
}

const outage =
  config.AGENT_FAIL_BATCHES === undefined
    ? undefined
    : new InjectedOutage(config.AGENT_FAIL_BATCHES.from, config.AGENT_FAIL_BATCHES.to);
const sendSamples: SendSamples = topicSender(
  typedTopic({ ...topics.trafficSamples, name: config.AGENT_SAMPLES_TOPIC }, trafficSample),
  (sample) => sample.instanceId,
);
const spool = await Spool.open(config.AGENT_SPOOL_DIR, {
  maxBytes: config.AGENT_SPOOL_MAX_BYTES,
  maxRecords: config.AGENT_SPOOL_MAX_RECORDS,
});
const sender = new SampleSender({
  send: outage === undefined ? sendSamples : outage.wrap(sendSamples),
  spool,
  log,
  retryMs: config.AGENT_RETRY_MS,
  drainBatch: config.AGENT_BATCH_SIZE,
});

// Encoding needs the registry: stop now, naming it, if it does not answer or lacks a subject we write.
await ensureRegistryReady(registry, [
  config.AGENT_SAMPLES_TOPIC,
  config.AGENT_ACCOUNTS_TOPIC,
  config.AGENT_INSTANCES_TOPIC,
]);
// The broker may be down when the agent starts: keep trying; samples are only sent after this.
await persistently(() => producer.connect(), 'connect')([]);
const started = Date.now();
// Samples a previous run left in the spool go first.
if (spool.size > 0) log.info({ spooled: spool.size }, 'resuming with a non-empty spool');
await sender.flush(Number.POSITIVE_INFINITY);
const submitted = await runSimulation(
  {
    accounts: persistently(
      topicSender(typedTopic({ ...topics.accounts, name: config.AGENT_ACCOUNTS_TOPIC }, account), (a) => a.accountId),
      'accounts',
    ),
    instances: persistently(
      topicSender(
        typedTopic({ ...topics.instances, name: config.AGENT_INSTANCES_TOPIC }, instance),
        (i) => i.instanceId,
      ),
      'inventory',
    ),
    samples: sender,
  },
  {
    fleet,
    period,
    faults,
    batchSize: config.AGENT_BATCH_SIZE,
    progressMs: config.AGENT_PROGRESS_MS,
    log,
    ...(outage === undefined ? {} : { beforeBatch: () => outage.nextBatch() }),
  },
);
outage?.end();
await sender.flush(Number.POSITIVE_INFINITY);
const seconds = (Date.now() - started) / 1000;
log.info({ submitted, ...sender.stats, seconds, samplesPerSecond: Math.round(submitted / seconds) }, 'simulation sent');
await spool.close();
await producer.disconnect();
process.exit(0);
