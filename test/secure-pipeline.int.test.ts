/**
 * The pipeline over SASL_SSL with ACLs, as it should be deployed: a private broker with a SASL_SSL listener only and
 * nothing allowed without an ACL (infra/src/secure-broker.ts); the agent simulator, metering, billing and the CLI's
 * price publisher each authenticate with their own SCRAM-SHA-512 principal (password from a file, the broker's CA
 * from a file) and hold the ACLs a deployment gives them (serviceGrants): their own topics and groups only; metering
 * and billing connect to PostgreSQL as login users of their own roles (`tally db migrate` grants them). A small fleet
 * over one day of a closed month must come out as usage and finalized invoices equal to the oracle (billing's pure
 * core over the simulator's ground truth), with nothing dead-lettered and no authorization error on the way.
 */
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createFleet, prefixFleet, type GroundTruthFile } from '@tally/agent';
import { parsePriceBookFile } from '@tally/billing';
import { connectionEnv, loadConfig } from '@tally/config';
import {
  createPool,
  createTestDatabase,
  migrate,
  quoteIdentifier,
  roleName,
  serviceRoles,
  type TestDatabase,
} from '@tally/db';
import { grantServiceAcls, runDir, serviceGrants, startSecureBroker, type SecureBroker } from '@tally/infra';
import {
  applyTopics,
  createKafka,
  createRegistry,
  deadLetterTopicOf,
  registerSchemas,
  topics,
  type TopicSpec,
} from '@tally/kafka';
import { createLogger } from '@tally/log';
import { eventually, startNodeChild, type ChildHandle } from '@tally/testing';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agentTopicEnv,
  billingDeadLetterTopics,
  billingTopicEnv,
  createBillingTopics,
  createPipelineTopics,
  expectedInvoices,
  finalizedInvoices,
  meteringTopicEnv,
  recordCount,
  retryingUnknownTopic,
  schemasDir,
  scramClientEnv,
  scramUser,
  type BillingTopics,
  type PipelineTopics,
} from './src/index.ts';

const SEED = 7;
const HYPERVISORS = 2;
const PER_HYPERVISOR = 3;
const ACCOUNTS = 2;
const MONTH = '2025-02';
const PERIOD_FROM = Date.UTC(2025, 1, 10);
const PERIOD_MINUTES = 24 * 60;

const endpoints = loadConfig(connectionEnv);
const log = createLogger('secure-pipeline-e2e', 'warn');
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const main = (service: string) => fileURLToPath(new URL(`../services/${service}/src/main.ts`, import.meta.url));
const run = `s${randomBytes(4).toString('hex')}`;
const prefix = `${run}-`;
const priceBookFile = fileURLToPath(new URL('../services/billing/price-books/demo.yaml', import.meta.url));

const principals = {
  agent: scramUser('agent'),
  metering: scramUser('metering'),
  billing: scramUser('billing'),
  operator: scramUser('operator'),
};
type Principal = keyof typeof principals;

// Database login users of the service roles, as an operator deploys them.
const rolePrefix = `t_${run}`;
const login = (service: 'metering' | 'billing') => `${roleName(rolePrefix, service)}_login`;
const serviceDatabaseUrl = (service: 'metering' | 'billing') => {
  const url = new URL(endpoints.DATABASE_URL);
  url.username = login(service);
  url.password = '';
  return url.toString();
};

const children: ChildHandle[] = [];
let broker: SecureBroker;
let admin: Kafka;
let workDir: string;
let db: TestDatabase;
let pipeline: PipelineTopics;
let billing: BillingTopics;
// Billing publishes each finalized invoice (for abuse, drip, the API): a topic of this run's own.
const invoicesTopic: TopicSpec = { ...topics.invoices, name: `test.${run}.invoices` };

/** The environment of a deployed client of `principal`: TLS trusting the broker's CA, SCRAM with a password file. */
const kafkaEnv = (principal: Principal) => scramClientEnv(broker, principals[principal], workDir);

function start(service: string, env: NodeJS.ProcessEnv): ChildHandle {
  const child = startNodeChild(main(service), { LOG_LEVEL: 'info', ...env });
  children.push(child);
  return child;
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'tally-secure-pipeline-'));
  broker = await startSecureBroker(`pipeline-${run}`, Object.values(principals), log, 150_000);
  admin = createKafka('secure-pipeline-admin', broker.brokers, log, broker.security(broker.admin, 'scram-sha-512'));
  pipeline = await retryingUnknownTopic(() => createPipelineTopics(admin, registry, run));
  billing = await createBillingTopics(admin, registry, run, pipeline);
  const kafkaAdmin = admin.admin();
  await kafkaAdmin.connect();
  try {
    await applyTopics(kafkaAdmin, [invoicesTopic]);
    // The ACLs a deployment gets (infra/src/service-acls.ts), from the names these processes are given below.
    const grants = serviceGrants({
      ...agentTopicEnv(pipeline),
      ...meteringTopicEnv(pipeline),
      METERING_GROUP: `metering-${run}`,
      METERING_INVENTORY_GROUP: `metering-inventory-${run}`,
      ...billingTopicEnv(pipeline, billing, `metering-${run}`),
      BILLING_INVOICES_TOPIC: invoicesTopic.name,
      BILLING_GROUP: `billing-${run}`,
      PRICES_TOPIC: billing.prices.name,
    });
    await grantServiceAcls(kafkaAdmin, {
      // The simulator stands in for the orchestrator and customer management too: it writes their topics.
      [principals.agent.name]: grants.simulator,
      [principals.metering.name]: grants.metering,
      // The finalizer waits until metering has metered traffic.samples up to its ends: it looks, never reads.
      [principals.billing.name]: grants.billing,
      [principals.operator.name]: grants.operator,
    });
  } finally {
    await kafkaAdmin.disconnect();
  }
  await registerSchemas(registry, schemasDir, [invoicesTopic]);
  db = await createTestDatabase(endpoints.DATABASE_URL);
  await migrate(endpoints.DATABASE_URL, db.schema, undefined, { rolePrefix });
  for (const service of ['metering', 'billing'] as const) {
    await db.pool.query(
      `CREATE ROLE ${quoteIdentifier(login(service))} LOGIN IN ROLE ${quoteIdentifier(roleName(rolePrefix, service))}`,
    );
  }
}, 280_000);

afterAll(async () => {
  for (const child of children) child.process.kill('SIGKILL');
  await broker?.stop();
  await rm(join(runDir, 'secure-kafka', `pipeline-${run}`), { recursive: true, force: true });
  await db?.drop();
  const owner = createPool(endpoints.DATABASE_URL, { max: 1 });
  for (const name of [login('metering'), login('billing'), ...serviceRoles.map((r) => roleName(rolePrefix, r))]) {
    const exists = await owner.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
    if (exists.rowCount === 0) continue;
    await owner.query(`DROP OWNED BY ${quoteIdentifier(name)}`);
    await owner.query(`DROP ROLE ${quoteIdentifier(name)}`);
  }
  await owner.end();
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

/** 'ok', or the error type of a single send attempt as `principal` (no retries: a refusal is not transient). */
async function sendAs(principal: Principal, topic: string): Promise<string> {
  const kafka = new Kafka({
    clientId: 'secure-pipeline-probe',
    brokers: broker.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    ...broker.security(principals[principal], 'scram-sha-512'),
  });
  const producer = kafka.producer({ retry: { retries: 0 } });
  try {
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'forged' }] });
    return 'ok';
  } catch (error) {
    const e = error as { type?: string; name?: string; cause?: { type?: string } };
    return e.type ?? e.cause?.type ?? e.name ?? String(error);
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

function fleet() {
  return prefixFleet(
    createFleet({
      seed: SEED,
      hypervisors: HYPERVISORS,
      instancesPerHypervisor: PER_HYPERVISOR,
      period: { from: PERIOD_FROM, to: PERIOD_FROM + PERIOD_MINUTES * 60_000 },
      accounts: ACCOUNTS,
    }),
    prefix,
  );
}

describe('the pipeline on a SASL_SSL broker with ACLs', () => {
  it('turns the agents samples into usage and finalized invoices, each service under its own principal', async () => {
    const started = Date.now();
    // The ACLs are in force here: the agent's principal may not forge usage.
    expect(await sendAs('agent', pipeline.usage.name)).toBe('TOPIC_AUTHORIZATION_FAILED');

    const { stdout } = await promisify(execFile)(process.execPath, [main('cli'), 'prices', 'publish', priceBookFile], {
      env: { ...process.env, ...(await kafkaEnv('operator')), PRICES_TOPIC: billing.prices.name },
    });
    expect(stdout).toContain(`price entries published to ${billing.prices.name}`);

    const truthFile = join(workDir, 'truth.json');
    const agent = start('agent', {
      ...(await kafkaEnv('agent')),
      ...agentTopicEnv(pipeline),
      AGENT_MODE: 'simulate',
      AGENT_SEED: String(SEED),
      AGENT_ID_PREFIX: prefix,
      AGENT_HYPERVISORS: String(HYPERVISORS),
      AGENT_INSTANCES_PER_HYPERVISOR: String(PER_HYPERVISOR),
      AGENT_ACCOUNTS: String(ACCOUNTS),
      AGENT_PERIOD_FROM: new Date(PERIOD_FROM).toISOString(),
      AGENT_PERIOD_MINUTES: String(PERIOD_MINUTES),
      AGENT_DUPLICATE_FRACTION: '0.02',
      AGENT_REORDER_WINDOW: '64',
      AGENT_BATCH_SIZE: '2000',
      AGENT_SPOOL_DIR: join(workDir, 'spool'),
      AGENT_GROUND_TRUTH_FILE: truthFile,
    });
    const metering = start('metering', {
      ...(await kafkaEnv('metering')),
      ...meteringTopicEnv(pipeline),
      DATABASE_URL: serviceDatabaseUrl('metering'),
      DB_SCHEMA: db.schema,
      METERING_GROUP: `metering-${run}`,
      METERING_INVENTORY_GROUP: `metering-inventory-${run}`,
      METERING_RETENTION_DAYS: '100000',
      METERING_METRICS_PORT: '0',
      METERING_SESSION_TIMEOUT_MS: '6000',
      METERING_PENDING_FLUSH_MS: '500',
    });
    expect(await agent.exited, agent.output()).toBe(0);
    const truth = JSON.parse(await readFile(truthFile, 'utf8')) as GroundTruthFile;

    // Metering has counted every distinct sample once (one version each) and published it.
    const progress = async () =>
      (
        await db.pool.query<{ counted: string | null; outbox: string; pending: string }>(
          `SELECT (SELECT sum(version) FROM usage_hourly) AS counted, (SELECT count(*) FROM outbox) AS outbox,
                  (SELECT count(*) FROM metering_pending) AS pending`,
        )
      ).rows[0];
    const metered = await eventually(
      async () => {
        const row = await progress();
        return Number(row?.counted ?? 0) === truth.distinctSamples && row?.outbox === '0' && row.pending === '0';
      },
      90_000,
      500,
    );
    expect(metered, `${JSON.stringify(await progress())} of ${truth.distinctSamples}\n${metering.output()}`).toBe(true);

    // Billing on the real clock: February 2025 and a one-hour grace are long past, so it finalizes once caught up.
    const billed = start('billing', {
      ...(await kafkaEnv('billing')),
      ...billingTopicEnv(pipeline, billing, `metering-${run}`),
      BILLING_INVOICES_TOPIC: invoicesTopic.name,
      DATABASE_URL: serviceDatabaseUrl('billing'),
      DB_SCHEMA: db.schema,
      BILLING_GROUP: `billing-${run}`,
      BILLING_GRACE_HOURS: '1',
      BILLING_FINALIZE_INTERVAL_MS: '500',
      BILLING_DRAFT_REFRESH_MS: '500',
      BILLING_SESSION_TIMEOUT_MS: '6000',
      BILLING_METRICS_PORT: '0',
    });
    const prices = parsePriceBookFile(await readFile(priceBookFile, 'utf8'), 'demo.yaml');
    const expected = expectedInvoices(fleet(), prices, MONTH, truth.hours);
    expect(expected.size).toBeGreaterThan(0);
    const finalized = await eventually(
      async () => (await finalizedInvoices(db.pool)).length >= expected.size,
      90_000,
      500,
    );
    expect(finalized, billed.output()).toBe(true);
    const invoices = await finalizedInvoices(db.pool);
    expect(invoices.map((i) => `${i.accountId}|${i.month}`)).toEqual([...expected.keys()].sort());
    for (const invoice of invoices) {
      const want = expected.get(`${invoice.accountId}|${invoice.month}`)!;
      expect(invoice.content, invoice.accountId).toEqual(want.invoice);
      expect(invoice.hash, invoice.accountId).toBe(want.hash);
    }
    // Billing published its hourly charges and each finalized invoice over the same broker.
    expect(await recordCount(admin, billing.hourly.name)).toBeGreaterThan(0);
    expect(
      await eventually(async () => (await recordCount(admin, invoicesTopic.name)) === invoices.length, 30_000),
    ).toBe(true);

    for (const child of [metering, billed]) {
      await eventually(() => Promise.resolve(/"msg":"(metering|billing) started"/.test(child.output())), 30_000);
      child.process.kill('SIGTERM');
    }
    expect(await metering.exited, metering.output()).toBe(0);
    expect(await billed.exited, billed.output()).toBe(0);
    // Nothing was refused, dead-lettered or late on the way.
    for (const child of [agent, metering, billed]) expect(child.output()).not.toMatch(/AUTHORIZATION_FAILED|SASL/);
    const deadLetters = [
      deadLetterTopicOf(pipeline.samples.name),
      deadLetterTopicOf(pipeline.instances.name),
      ...billingDeadLetterTopics(pipeline, billing),
    ];
    for (const topic of deadLetters) expect(await recordCount(admin, topic), topic).toBe(0);
    expect(await recordCount(admin, pipeline.late.name)).toBe(0);
    console.info(
      `secure pipeline: ${truth.distinctSamples} distinct samples (${truth.sentSamples} sent), ` +
        `${truth.hours.length} instance-hours, ${invoices.length} finalized invoices equal to the oracle, ` +
        `${((Date.now() - started) / 1000).toFixed(0)} s after the broker was up`,
    );
  }, 240_000);
});
