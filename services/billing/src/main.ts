/**
 * The billing process: usage.hourly, prices, accounts, payments → PostgreSQL (usage, hourly charges, invoices)
 * → billing.hourly (through the outbox). Reads its configuration, builds clients and wires the pure core to them.
 *
 * Loops in one process: four consumers, the outbox publisher, and the invoice loop (draft refresh and finalizer).
 * SIGTERM stops them all and exits 0.
 */
import { loadConfig } from '@tally/config';
import { createPool, ensureMigrated, migrate } from '@tally/db';
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
  typedTopics,
  valueCodec,
  type ValueCodec,
} from '@tally/kafka';
import { createLogger, shutdownWatchdog } from '@tally/log';
import { account, billingHourly, invoice, payment } from '@tally/records';
import { Counter } from 'prom-client';
import { accountConsumerSpec } from './account-consumer.ts';
import { billedUsageTopic } from './billed-usage-topic.ts';
import { finalizeGate } from './caught-up.ts';
import { billingEnv, graceMs } from './config.ts';
import { runInvoiceLoop } from './invoice-loops.ts';
import { paymentConsumerSpec } from './payment-consumer.ts';
import { priceConsumerSpec } from './price-consumer.ts';
import { usageConsumerSpec } from './usage-consumer.ts';

const SERVICE = 'billing';
const config = loadConfig(billingEnv);
const log = createLogger(SERVICE);
const clock = () => Date.now() + config.BILLING_CLOCK_OFFSET_MS;

// Signals may come while still starting: remember them and stop once everything is up.
let stopRequested: { reason: string; code: number } | undefined;
let stop = (reason: string, code: number): void => void (stopRequested ??= { reason, code });
process.once('SIGTERM', () => stop('SIGTERM', 0));
process.once('SIGINT', () => stop('SIGINT', 0));

if (config.BILLING_MIGRATE === 'true') await migrate(config.DATABASE_URL, config.DB_SCHEMA, log);
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
const finalizedTotal = new Counter({
  name: 'tally_invoices_finalized_total',
  help: 'Invoices finalized (numbered and made immutable)',
  registers: [metrics.registry],
});
const blockedGauge = new Counter({
  name: 'tally_invoice_finalize_blocked_total',
  help: 'Due invoices a finalizer pass could not build (no price in force)',
  registers: [metrics.registry],
});
const metricsServer = await serveMetrics(metrics.registry, config.BILLING_METRICS_PORT);

// Topic names may be overridden (tests, benchmarks); the schemas are the catalog's.
const usageTopic = billedUsageTopic({ ...topics.usageHourly, name: config.BILLING_USAGE_TOPIC });
// Price entries have their own Avro shape: keep the catalog's wire mapping, change only the name.
const pricesTopic = { ...typedTopics.prices, spec: { ...topics.prices, name: config.BILLING_PRICES_TOPIC } };
const accountsTopic = typedTopic({ ...topics.accounts, name: config.BILLING_ACCOUNTS_TOPIC }, account);
const paymentsTopic = typedTopic({ ...topics.payments, name: config.BILLING_PAYMENTS_TOPIC }, payment);
const hourlyTopic = typedTopic({ ...topics.billingHourly, name: config.BILLING_HOURLY_TOPIC }, billingHourly);
const invoicesTopic = typedTopic({ ...topics.invoices, name: config.BILLING_INVOICES_TOPIC }, invoice);
// Stop now, naming the registry, if it does not answer or lacks a subject we read or write.
await ensureRegistryReady(
  registry,
  [usageTopic, pricesTopic, accountsTopic, paymentsTopic, hourlyTopic, invoicesTopic].map((topic) => topic.spec.name),
);

const common = {
  service: SERVICE,
  pool,
  sessionTimeoutMs: config.BILLING_SESSION_TIMEOUT_MS,
  maxBytesPerPartition: config.BILLING_MAX_BYTES_PER_PARTITION,
};
const group = (name: string) => `${config.BILLING_GROUP}${name}`;
const consumerDeps = { kafka, producer, log, metrics, now: () => new Date(clock()) };
const consumers = [
  await runConsumer(
    priceConsumerSpec({
      ...common,
      groupId: group('-prices'),
      topic: pricesTopic.spec.name,
      codec: valueCodec(registry, pricesTopic),
      billingHourlyTopic: hourlyTopic.spec.name,
      clock,
    }),
    consumerDeps,
  ),
  await runConsumer(
    accountConsumerSpec({
      ...common,
      groupId: group('-accounts'),
      topic: accountsTopic.spec.name,
      codec: valueCodec(registry, accountsTopic),
      billingHourlyTopic: hourlyTopic.spec.name,
      clock,
    }),
    consumerDeps,
  ),
  await runConsumer(
    paymentConsumerSpec({
      ...common,
      groupId: group('-payments'),
      topic: paymentsTopic.spec.name,
      codec: valueCodec(registry, paymentsTopic),
    }),
    consumerDeps,
  ),
  await runConsumer(
    usageConsumerSpec({
      ...common,
      groupId: group(''),
      topic: usageTopic.spec.name,
      codec: valueCodec(registry, usageTopic),
      billingHourlyTopic: hourlyTopic.spec.name,
      clock,
      commitIntervalMs: config.BILLING_USAGE_COMMIT_INTERVAL_MS,
      commitMaxRecords: config.BILLING_USAGE_COMMIT_MAX_RECORDS,
    }),
    consumerDeps,
  ),
];

const background = new AbortController();
const publisher = runOutboxPublisher(
  {
    pool,
    producer,
    log,
    registry: metrics.registry,
    codecs: new Map<string, ValueCodec<unknown>>([
      [hourlyTopic.spec.name, valueCodec(registry, hourlyTopic) as ValueCodec<unknown>],
      [invoicesTopic.spec.name, valueCodec(registry, invoicesTopic) as ValueCodec<unknown>],
    ]),
  },
  background.signal,
);
const invoiceLoop = runInvoiceLoop(
  {
    pool,
    log,
    refresh: { adjustmentMonths: config.BILLING_ADJUSTMENT_MONTHS, batchSize: config.BILLING_INVOICE_BATCH },
    staleHours: {
      topic: config.BILLING_HOURLY_TOPIC,
      clock,
      batchSize: config.BILLING_INVOICE_BATCH,
      log,
      registry: metrics.registry,
    },
    finalizer: {
      issuer: config.BILLING_ISSUER,
      numberPrefix: config.BILLING_INVOICE_PREFIX,
      graceMs: graceMs(config),
      adjustmentMonths: config.BILLING_ADJUSTMENT_MONTHS,
      batchSize: config.BILLING_INVOICE_BATCH,
      clock,
      publish: { topic: invoicesTopic.spec.name, duePeriodMs: config.BILLING_INVOICE_DUE_DAYS * 86_400_000 },
      gate: finalizeGate({
        admin,
        db: pool,
        groups: [
          { groupId: group('-prices'), topic: pricesTopic.spec.name },
          { groupId: group('-accounts'), topic: accountsTopic.spec.name },
          { groupId: group(''), topic: usageTopic.spec.name },
        ],
        ...(config.BILLING_FINALIZE_WAIT_FOR_METERING === 'true'
          ? { samples: { groupId: config.BILLING_METERING_GROUP, topic: config.BILLING_SAMPLES_TOPIC } }
          : {}),
        meteringSchema: config.BILLING_METERING_SCHEMA ?? config.DB_SCHEMA,
        usageTopic: usageTopic.spec.name,
        log,
        registry: metrics.registry,
      }),
      log,
    },
    refreshIdleMs: config.BILLING_DRAFT_REFRESH_MS,
    finalizeIntervalMs: config.BILLING_FINALIZE_INTERVAL_MS,
    onFinalize: (outcome) => {
      finalizedTotal.inc(outcome.finalized);
      blockedGauge.inc(outcome.blocked);
    },
  },
  background.signal,
);
log.info({ usage: usageTopic.spec.name, group: config.BILLING_GROUP, schema: config.DB_SCHEMA }, 'billing started');

let stopping = false;
async function shutdown(reason: string, code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ reason }, 'stopping');
  const watchdog = shutdownWatchdog(log, config.BILLING_SHUTDOWN_DEADLINE_MS);
  watchdog.step('consumers');
  await Promise.all(consumers.map((consumer) => consumer.stop()));
  background.abort();
  watchdog.step('outbox publisher and invoice loop');
  await Promise.all([publisher, invoiceLoop]);
  watchdog.step('producer and admin');
  await admin.disconnect().catch(() => undefined);
  await producer.disconnect().catch(() => undefined);
  watchdog.step('database pool');
  await pool.end();
  watchdog.step('metrics server');
  await new Promise((resolve) => metricsServer.close(resolve));
  watchdog.done();
  log.info({ maxRssBytes: process.resourceUsage().maxRSS * 1024 }, 'stopped');
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
