/**
 * The drip process: accounts, inventory.instances, payments, billing.hourly → buffered funnel events (with the
 * consumers' offsets) → the decider (state per account, on the watermark) → notifications.email through the outbox.
 * Reads its configuration, builds clients and wires the pure funnel to them; nothing else lives here.
 * SIGTERM stops the consumers, the decider and the outbox publisher, then exits 0.
 */
import { loadConfig } from '@tally/config';
import { createPool, ensureMigrated } from '@tally/db';
import {
  createIdempotentProducer,
  createKafka,
  createMetrics,
  createRegistry,
  ensureRegistryReady,
  runConsumer,
  runOutboxPublisher,
  serveMetrics,
  topics,
  typedTopic,
  valueCodec,
  type ValueCodec,
} from '@tally/kafka';
import { createLogger, shutdownWatchdog } from '@tally/log';
import { account, billingHourly, emailNotification, instance, payment } from '@tally/records';
import { runDecideLoop } from './adapters/decide-loop.ts';
import { decidePass } from './adapters/decider.ts';
import { eventConsumerSpec } from './adapters/event-consumers.ts';
import { streamProgress, type WatermarkInput } from './adapters/stream-progress.ts';
import { dripEnv } from './config.ts';
import { accountEvent, billingEvent, instanceEvent, paymentEvent } from './core/events.ts';
import { loadPolicy } from './core/policy.ts';

const SERVICE = 'drip';
const config = loadConfig(dripEnv);
const log = createLogger(SERVICE);

let stopRequested: { reason: string; code: number } | undefined;
let stop = (reason: string, code: number): void => void (stopRequested ??= { reason, code });
process.once('SIGTERM', () => stop('SIGTERM', 0));
process.once('SIGINT', () => stop('SIGINT', 0));

// The policy first: a bad file stops drip before it reads anything.
const policy = loadPolicy(config.DRIP_POLICY_FILE);
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
const admin = kafka.admin();
await admin.connect();
const metrics = createMetrics(SERVICE);
const metricsServer = await serveMetrics(metrics.registry, config.DRIP_METRICS_PORT);

const accounts = typedTopic({ ...topics.accounts, name: config.DRIP_ACCOUNTS_TOPIC }, account);
const instances = typedTopic({ ...topics.instances, name: config.DRIP_INSTANCES_TOPIC }, instance);
const payments = typedTopic({ ...topics.payments, name: config.DRIP_PAYMENTS_TOPIC }, payment);
const billing = typedTopic({ ...topics.billingHourly, name: config.DRIP_BILLING_TOPIC }, billingHourly);
const notifications = typedTopic(
  { ...topics.emailNotifications, name: config.DRIP_NOTIFICATIONS_TOPIC },
  emailNotification,
);
await ensureRegistryReady(
  registry,
  [accounts, instances, payments, billing, notifications].map((topic) => topic.spec.name),
);

const group = (name: string) => `${config.DRIP_GROUP_PREFIX}-${name}`;
const base = { service: SERVICE, pool, sessionTimeoutMs: config.DRIP_SESSION_TIMEOUT_MS };
const deps = { kafka, producer, log, metrics };
const consumers = [
  await runConsumer(
    eventConsumerSpec({
      ...base,
      groupId: group('accounts'),
      topic: accounts.spec.name,
      codec: valueCodec(registry, accounts),
      eventOf: accountEvent,
      tracksHours: false,
    }),
    deps,
  ),
  await runConsumer(
    eventConsumerSpec({
      ...base,
      groupId: group('instances'),
      topic: instances.spec.name,
      codec: valueCodec(registry, instances),
      eventOf: instanceEvent,
      tracksHours: true,
    }),
    deps,
  ),
  await runConsumer(
    eventConsumerSpec({
      ...base,
      groupId: group('payments'),
      topic: payments.spec.name,
      codec: valueCodec(registry, payments),
      eventOf: paymentEvent,
      tracksHours: true,
    }),
    deps,
  ),
  await runConsumer(
    eventConsumerSpec({
      ...base,
      groupId: group('billing'),
      topic: billing.spec.name,
      codec: valueCodec(registry, billing),
      eventOf: billingEvent,
      tracksHours: true,
    }),
    deps,
  ),
];

const inputs: WatermarkInput[] = [
  { topic: accounts.spec.name, groupId: group('accounts'), clock: false, hasHours: false },
  { topic: instances.spec.name, groupId: group('instances'), clock: false, hasHours: true },
  { topic: payments.spec.name, groupId: group('payments'), clock: false, hasHours: true },
  { topic: billing.spec.name, groupId: group('billing'), clock: true, hasHours: true },
];
const background = new AbortController();
const decider = runDecideLoop(
  () =>
    decidePass({
      pool,
      policy,
      notificationsTopic: notifications.spec.name,
      progress: (db) => streamProgress((topic) => admin.fetchTopicOffsets(topic), db, inputs),
    }),
  { intervalMs: config.DRIP_DECIDE_INTERVAL_MS, log },
  background.signal,
);
const publisher = runOutboxPublisher(
  {
    pool,
    producer,
    log,
    registry: metrics.registry,
    codecs: new Map<string, ValueCodec<unknown>>([
      [notifications.spec.name, valueCodec(registry, notifications) as ValueCodec<unknown>],
    ]),
  },
  background.signal,
);
log.info({ groups: inputs.map((input) => input.groupId), schema: config.DB_SCHEMA, policy }, 'drip started');

let stopping = false;
async function shutdown(reason: string, code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ reason }, 'stopping');
  const watchdog = shutdownWatchdog(log, config.DRIP_SHUTDOWN_DEADLINE_MS);
  watchdog.step('consumers');
  await Promise.all(consumers.map((consumer) => consumer.stop()));
  background.abort();
  watchdog.step('decider and outbox publisher');
  await Promise.all([decider, publisher]);
  watchdog.step('kafka clients');
  await admin.disconnect().catch(() => undefined);
  await producer.disconnect().catch(() => undefined);
  watchdog.step('database pool');
  await pool.end();
  watchdog.step('metrics server');
  await new Promise((resolve) => metricsServer.close(resolve));
  watchdog.done();
  log.info('stopped');
  process.exit(code);
}
stop = (reason, code) => void shutdown(reason, code);
if (stopRequested !== undefined) stop(stopRequested.reason, stopRequested.code);
for (const consumer of consumers) {
  void consumer.crashed.then((error) => {
    log.error({ err: error }, 'consumer crashed');
    stop('consumer crashed', 1);
  });
}
