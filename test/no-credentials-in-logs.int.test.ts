/**
 * No credential in any log line or error message: metering and billing run against the real stack, each as a login
 * user of its own database role (so this also shows the roles suffice to start, dead-letter and stop), with a password in
 * DATABASE_URL and user info in the registry URL (the local stack's trust auth and open registry accept and ignore
 * them), at debug level, through start-up, migration, a dead-lettered record and a clean stop; then through the
 * error paths where a URL is most likely quoted (database unreachable, registry misconfigured, a bad setting). Every byte they
 * write is scanned for the passwords.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
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
import { createKafka, createRegistry, deadLetterTopicOf } from '@tally/kafka';
import { createLogger } from '@tally/log';
import { eventually } from '@tally/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  billingTopicEnv,
  createBillingTopics,
  createPipelineTopics,
  meteringTopicEnv,
  recordCount,
  type BillingTopics,
  type PipelineTopics,
} from './src/index.ts';

const endpoints = loadConfig(connectionEnv);
const log = createLogger('no-credentials-e2e', 'warn');
const kafka = createKafka('no-credentials-e2e', endpoints.KAFKA_BROKERS, log);
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const meteringMain = fileURLToPath(new URL('../services/metering/src/main.ts', import.meta.url));
const billingMain = fileURLToPath(new URL('../services/billing/src/main.ts', import.meta.url));
const run = `n${randomBytes(4).toString('hex')}`;
const DB_SECRET = `pgPw${randomBytes(6).toString('hex')}`;
const REGISTRY_SECRET = `regPw${randomBytes(6).toString('hex')}`;

function withUserInfo(url: string, user: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  parsed.password = password;
  return parsed.toString();
}
const databaseUrl = withUserInfo(endpoints.DATABASE_URL, new URL(endpoints.DATABASE_URL).username, DB_SECRET);
// The services connect as login users of their own roles (`tally db migrate` grants them), as deployed.
const rolePrefix = `t_${run}`;
const login = (service: 'metering' | 'billing') => `${roleName(rolePrefix, service)}_login`;
const serviceDatabaseUrl = (service: 'metering' | 'billing') =>
  withUserInfo(endpoints.DATABASE_URL, login(service), DB_SECRET);
const registryUrl = withUserInfo(endpoints.SCHEMA_REGISTRY_URL, 'tally', REGISTRY_SECRET).replace(/\/$/, '');

interface Child {
  output: () => string;
  exited: Promise<number | null>;
  stop: () => void;
}
const children: Child[] = [];

/** Starts a service and keeps all it writes (startNodeChild keeps only a tail). */
function start(entry: string, env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, DATABASE_URL: databaseUrl, SCHEMA_REGISTRY_URL: registryUrl, LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const handle = { output: () => output, exited, stop: () => void child.kill('SIGTERM') };
  children.push(handle);
  return handle;
}

function expectNoSecret(output: string): void {
  expect(output).not.toContain(DB_SECRET);
  expect(output).not.toContain(REGISTRY_SECRET);
  // Percent-encoding would not hide it either.
  expect(output).not.toContain(encodeURIComponent(DB_SECRET).slice(0, 8) + '%');
}

let db: TestDatabase;
let pipeline: PipelineTopics;
let billing: BillingTopics;
beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
  await migrate(endpoints.DATABASE_URL, db.schema, undefined, { rolePrefix });
  for (const service of ['metering', 'billing'] as const) {
    await db.pool.query(
      `CREATE ROLE ${quoteIdentifier(login(service))} LOGIN IN ROLE ${quoteIdentifier(roleName(rolePrefix, service))}`,
    );
  }
  pipeline = await createPipelineTopics(kafka, registry, run);
  billing = await createBillingTopics(kafka, registry, run, pipeline);
});
afterAll(async () => {
  for (const child of children) child.stop();
  await Promise.all(children.map((child) => child.exited));
  await db.drop();
  const admin = createPool(endpoints.DATABASE_URL, { max: 1 });
  // Every role migrate granted (serviceRoles grows with the services), or the cluster keeps this run's roles.
  for (const name of [login('metering'), login('billing'), ...serviceRoles.map((r) => roleName(rolePrefix, r))]) {
    await admin.query(`DROP OWNED BY ${quoteIdentifier(name)}`);
    await admin.query(`DROP ROLE ${quoteIdentifier(name)}`);
  }
  await admin.end();
});

const meteringEnv = (): NodeJS.ProcessEnv => ({
  ...meteringTopicEnv(pipeline),
  DATABASE_URL: serviceDatabaseUrl('metering'),
  DB_SCHEMA: db.schema,
  METERING_GROUP: `metering-${run}`,
  METERING_INVENTORY_GROUP: `metering-inventory-${run}`,
  METERING_METRICS_PORT: '0',
  METERING_SESSION_TIMEOUT_MS: '6000',
});
const billingEnv = (): NodeJS.ProcessEnv => ({
  ...billingTopicEnv(pipeline, billing),
  DB_SCHEMA: db.schema,
  BILLING_GROUP: `billing-${run}`,
  DATABASE_URL: serviceDatabaseUrl('billing'),
  BILLING_METRICS_PORT: '0',
  BILLING_SESSION_TIMEOUT_MS: '6000',
});

describe('credentials in URLs', () => {
  it('never reach the logs of a running metering and billing, a dead letter and a stop included', async () => {
    const metering = start(meteringMain, meteringEnv());
    const billed = start(billingMain, billingEnv());
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: pipeline.samples.name, messages: [{ key: 'i-1', value: Buffer.from('not avro') }] });
    await producer.disconnect();
    const deadLettered = await eventually(
      async () => (await recordCount(kafka, deadLetterTopicOf(pipeline.samples.name))) === 1,
      45_000,
    );
    expect(deadLettered, metering.output()).toBe(true);
    // Metering, as its own role, stored its offset past the dead-lettered record.
    const stored = async () =>
      (
        await db.pool.query('SELECT 1 FROM consumer_offsets WHERE group_id = $1 AND topic = $2 AND next_offset > 0', [
          `metering-${run}`,
          pipeline.samples.name,
        ])
      ).rowCount === 1;
    expect(await eventually(stored, 20_000), metering.output()).toBe(true);
    expect(
      await eventually(() => Promise.resolve(billed.output().includes('billing started')), 30_000),
      billed.output(),
    ).toBe(true);
    metering.stop();
    billed.stop();
    expect(await metering.exited).toBe(0);
    expect(await billed.exited).toBe(0);
    // The runs said something worth scanning: start-up, the dead letter, the stop.
    expect(metering.output()).toContain('metering started');
    expect(metering.output()).toMatch(/dead.?letter/i);
    expectNoSecret(metering.output());
    expectNoSecret(billed.output());
  }, 90_000);

  it('never reach the error messages of a service that cannot start', async () => {
    const noDatabase = start(billingMain, { ...billingEnv(), DATABASE_URL: databaseUrl.replace(/:\d+\//, ':1/') });
    // A wrong path: the registry answers at once that it is not a Confluent API, and the error names the URL.
    const wrongRegistry = `${registryUrl.replace(/\/apis\/.*$/, '')}/apis/nothing`;
    const noRegistry = start(meteringMain, { ...meteringEnv(), SCHEMA_REGISTRY_URL: wrongRegistry });
    const badSetting = start(meteringMain, { ...meteringEnv(), METERING_RETENTION_DAYS: '' });
    expect(await noDatabase.exited).not.toBe(0);
    expect(await noRegistry.exited).not.toBe(0);
    expect(await badSetting.exited).not.toBe(0);
    expect(noDatabase.output()).toContain('ECONNREFUSED');
    expect(noRegistry.output()).toContain(
      `schema registry at http://${new URL(wrongRegistry).host}/apis/nothing is not usable`,
    );
    expect(badSetting.output()).toContain('METERING_RETENTION_DAYS: empty');
    for (const child of [noDatabase, noRegistry, badSetting]) expectNoSecret(child.output());
  }, 60_000);
});
