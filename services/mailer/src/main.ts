/**
 * The mailer process: notifications.email → SMTP, each sent id stored with the consumer's offsets (README.md).
 * Reads its configuration, builds clients and wires the pure composition to them; nothing else lives here.
 * SIGTERM stops the consumer (the mail in flight finishes or is abandoned uncommitted) and exits 0.
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
  serveMetrics,
  topics,
  typedTopic,
  valueCodec,
} from '@tally/kafka';
import { createLogger, shutdownWatchdog } from '@tally/log';
import { emailNotification } from '@tally/records';
import { mailerEnv } from './config.ts';
import { mailerConsumerSpec } from './mail-consumer.ts';
import { smtpSender } from './smtp-transport.ts';
import { loadTemplates } from './templates.ts';

const SERVICE = 'mailer';
const config = loadConfig(mailerEnv);
const log = createLogger(SERVICE);

let stopRequested: { reason: string; code: number } | undefined;
let stop = (reason: string, code: number): void => void (stopRequested ??= { reason, code });
process.once('SIGTERM', () => stop('SIGTERM', 0));
process.once('SIGINT', () => stop('SIGINT', 0));

// Templates first: a broken one stops the mailer before it reads a single notification.
const templates = loadTemplates(config.MAILER_TEMPLATES_DIR);
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
const metricsServer = await serveMetrics(metrics.registry, config.MAILER_METRICS_PORT);
const notifications = typedTopic({ ...topics.emailNotifications, name: config.MAILER_TOPIC }, emailNotification);
await ensureRegistryReady(registry, [notifications.spec.name]);

const sender = smtpSender({
  host: config.SMTP_HOST,
  port: config.SMTP_PORT,
  tls: config.SMTP_TLS,
  user: config.SMTP_USER,
  passwordFile: config.SMTP_PASSWORD_FILE,
  timeoutMs: config.SMTP_TIMEOUT_MS,
});
const consumer = await runConsumer(
  mailerConsumerSpec({
    service: SERVICE,
    groupId: config.MAILER_GROUP,
    topic: notifications.spec.name,
    codec: valueCodec(registry, notifications),
    pool,
    templates,
    compose: { from: config.MAIL_FROM, domain: config.MAIL_MESSAGE_ID_DOMAIN },
    send: (mail) => sender.send(mail),
    log,
    sessionTimeoutMs: config.MAILER_SESSION_TIMEOUT_MS,
  }),
  { kafka, producer, log, metrics },
);
log.info(
  {
    topic: notifications.spec.name,
    group: config.MAILER_GROUP,
    schema: config.DB_SCHEMA,
    smtp: `${config.SMTP_HOST}:${config.SMTP_PORT}`,
    templates: [...templates.keys()],
  },
  'mailer started',
);

let stopping = false;
async function shutdown(reason: string, code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ reason }, 'stopping');
  const watchdog = shutdownWatchdog(log, config.MAILER_SHUTDOWN_DEADLINE_MS);
  watchdog.step('consumer');
  await consumer.stop();
  watchdog.step('smtp transport');
  sender.close();
  watchdog.step('producer');
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
void consumer.crashed.then((error) => {
  log.error({ err: error }, 'consumer crashed');
  stop('consumer crashed', 1);
});
