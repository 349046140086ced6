/**
 * The abuse process: accounts, usage.hourly, billing.hourly, payments and invoices -> facts per account and hour
 * (PostgreSQL, with the offsets); a decider applies them to each account's machine once the watermark passes their
 * hour; decisions, actions and notices go out through the outbox. Wiring only; the logic is in core/ and adapters/.
 * SIGTERM stops everything and exits 0.
 */
import { loadConfig } from '@tally/config';
import { createPool, ensureMigrated } from '@tally/db';
import { hourOf } from '@tally/fsm';
import {
  createIdempotentProducer,
  createKafka,
  createMetrics,
  createRegistry,
  ensureRegistryReady,
  runConsumer,
  runOutboxPublisher,
  serveMetrics,
  typedTopics,
  valueCodec,
  type TypedTopic,
  type ValueCodec,
} from '@tally/kafka';
import { createLogger, shutdownWatchdog } from '@tally/log';
import { Counter, Gauge } from 'prom-client';
import { abuseEnv, loadPolicy } from './config.ts';
import { chargeFact, invoiceFact, paymentFact, usageFact } from './core/facts.ts';
import { runDecideLoop } from './adapters/decide-loop.ts';
import { decidePass } from './adapters/decider.ts';
import { accountConsumerSpec, factConsumerSpec } from './adapters/fact-consumers.ts';
import { streamProgress, type WatermarkInput } from './adapters/stream-progress.ts';

const SERVICE = 'abuse';
const config = loadConfig(abuseEnv);
const log = createLogger(SERVICE);
const policy = await loadPolicy(config.ABUSE_POLICY_FILE);

let stopRequested: { reason: string; code: number } | undefined;
let stop = (reason: string, code: number): void => void (stopRequested ??= { reason, code });
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
const admin = kafka.admin();
await admin.connect();
const metrics = createMetrics(SERVICE);
const metricsServer = await serveMetrics(metrics.registry, config.ABUSE_METRICS_PORT);

// Topic names may be overridden (tests); the schemas and wire mappings are the catalog's.
const named = <T>(topic: TypedTopic<T>, name: string): TypedTopic<T> => ({ ...topic, spec: { ...topic.spec, name } });
const accountsTopic = named(typedTopics.accounts, config.ABUSE_ACCOUNTS_TOPIC);
const usageTopic = named(typedTopics.usageHourly, config.ABUSE_USAGE_TOPIC);
const hourlyTopic = named(typedTopics.billingHourly, config.ABUSE_BILLING_HOURLY_TOPIC);
const paymentsTopic = named(typedTopics.payments, config.ABUSE_PAYMENTS_TOPIC);
const invoicesTopic = named(typedTopics.invoices, config.ABUSE_INVOICES_TOPIC);
const decisionsTopic = named(typedTopics.abuseDecisions, config.ABUSE_DECISIONS_TOPIC);
const actionsTopic = named(typedTopics.accountActions, config.ABUSE_ACTIONS_TOPIC);
const noticesTopic = named(typedTopics.emailNotifications, config.ABUSE_NOTICES_TOPIC);
const inputs = [accountsTopic, usageTopic, hourlyTopic, paymentsTopic, invoicesTopic];
const outputs = [decisionsTopic, actionsTopic, noticesTopic];
await ensureRegistryReady(
  registry,
  [...inputs, ...outputs].map((topic) => topic.spec.name),
);

const group = (suffix: string) => `${config.ABUSE_GROUP}-${suffix}`;
const common = {
  service: SERVICE,
  pool,
  sessionTimeoutMs: config.ABUSE_SESSION_TIMEOUT_MS,
  maxBytesPerPartition: config.ABUSE_MAX_BYTES_PER_PARTITION,
};
const deps = { kafka, producer, log, metrics };
const consumers = [
  await runConsumer(
    accountConsumerSpec({
      ...common,
      groupId: group('accounts'),
      topic: accountsTopic.spec.name,
      codec: valueCodec(registry, accountsTopic),
    }),
    deps,
  ),
  await runConsumer(
    factConsumerSpec({
      ...common,
      groupId: group('usage'),
      topic: usageTopic.spec.name,
      codec: valueCodec(registry, usageTopic),
      factsOf: (usage) => [usageFact(usage)],
      hourOf: (usage) => hourOf(usage.hourStart),
    }),
    deps,
  ),
  await runConsumer(
    factConsumerSpec({
      ...common,
      groupId: group('billing-hourly'),
      topic: hourlyTopic.spec.name,
      codec: valueCodec(registry, hourlyTopic),
      factsOf: (charge) => [chargeFact(charge)],
      hourOf: (charge) => hourOf(charge.hourStart),
    }),
    deps,
  ),
  await runConsumer(
    factConsumerSpec({
      ...common,
      groupId: group('payments'),
      topic: paymentsTopic.spec.name,
      codec: valueCodec(registry, paymentsTopic),
      factsOf: (payment) => [paymentFact(payment)].filter((fact) => fact !== undefined),
      hourOf: (payment) => hourOf(payment.at),
    }),
    deps,
  ),
  await runConsumer(
    factConsumerSpec({
      ...common,
      groupId: group('invoices'),
      topic: invoicesTopic.spec.name,
      codec: valueCodec(registry, invoicesTopic),
      factsOf: (invoice) => [invoiceFact(invoice)],
      hourOf: (invoice) => hourOf(invoice.finalizedAt),
    }),
    deps,
  ),
];

const watermarkInputs: WatermarkInput[] = [
  { topic: accountsTopic.spec.name, groupId: group('accounts'), clock: false, hasHours: false },
  { topic: usageTopic.spec.name, groupId: group('usage'), clock: true, hasHours: true },
  { topic: hourlyTopic.spec.name, groupId: group('billing-hourly'), clock: true, hasHours: true },
  { topic: paymentsTopic.spec.name, groupId: group('payments'), clock: false, hasHours: true },
  { topic: invoicesTopic.spec.name, groupId: group('invoices'), clock: false, hasHours: true },
];
const watermarkGauge = new Gauge({
  name: 'tally_abuse_watermark_hour_seconds',
  help: 'Start of the first hour the abuse decider has not closed (epoch seconds)',
  registers: [metrics.registry],
});
const effectsTotal = new Counter({
  name: 'tally_abuse_effects_total',
  help: 'Decisions, actions and notices the abuse machines asked for',
  registers: [metrics.registry],
});

const failedAccounts = new Counter({
  name: 'tally_abuse_account_failures_total',
  help: 'Decider passes in which an account machine threw; its facts wait for a fix',
  registers: [metrics.registry],
});

const background = new AbortController();
const publisher = runOutboxPublisher(
  {
    pool,
    producer,
    log,
    registry: metrics.registry,
    codecs: new Map<string, ValueCodec<unknown>>([
      [decisionsTopic.spec.name, valueCodec(registry, decisionsTopic) as ValueCodec<unknown>],
      [actionsTopic.spec.name, valueCodec(registry, actionsTopic) as ValueCodec<unknown>],
      [noticesTopic.spec.name, valueCodec(registry, noticesTopic) as ValueCodec<unknown>],
    ]),
  },
  background.signal,
);
const decider = runDecideLoop(
  () =>
    decidePass({
      pool,
      policy,
      outputs: {
        decisions: decisionsTopic.spec.name,
        actions: actionsTopic.spec.name,
        notices: noticesTopic.spec.name,
      },
      streams: () => streamProgress(admin, pool, watermarkInputs),
      batchSize: config.ABUSE_DECIDE_BATCH,
      lockKey: `tally.abuse.decider.${config.DB_SCHEMA}`,
      log,
      onAccountFailed: () => failedAccounts.inc(),
    }),
  {
    intervalMs: config.ABUSE_DECIDE_INTERVAL_MS,
    log,
    onPass: (outcome) => {
      if (outcome.mark !== undefined) watermarkGauge.set(outcome.mark * 3600);
      effectsTotal.inc(outcome.effects);
    },
  },
  background.signal,
);
log.info({ group: config.ABUSE_GROUP, schema: config.DB_SCHEMA, decisions: decisionsTopic.spec.name }, 'abuse started');

let stopping = false;
async function shutdown(reason: string, code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ reason }, 'stopping');
  const watchdog = shutdownWatchdog(log, config.ABUSE_SHUTDOWN_DEADLINE_MS);
  watchdog.step('consumers');
  await Promise.all(consumers.map((consumer) => consumer.stop()));
  background.abort();
  watchdog.step('outbox publisher and decider');
  await Promise.all([publisher, decider]);
  watchdog.step('producer and admin');
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
