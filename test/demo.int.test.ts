/**
 * `./pnpm start` as a newcomer runs it, then Ctrl-C: it migrates as the owner and grants the roles, runs metering and
 * billing as login members of `tally_metering` / `tally_billing` (not as the owner), and abuse, drip, the mailer and
 * the API likewise, finalizes the simulated month, prints where to look, and stops every service cleanly on SIGINT.
 * The export it prints works as the read-only login; the console's address and support token it prints work.
 *
 * On the shared stack, so that nothing here touches what others use: its own run folder, schema, metrics ports,
 * fresh copies of the topics and its own consumer groups (the services take them from the environment).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectionEnv, loadConfig } from '@tally/config';
import { createPool, quoteIdentifier } from '@tally/db';
import { applyTopics, createKafka, createRegistry, registerSchemas, topics, type TopicSpec } from '@tally/kafka';
import { createLogger } from '@tally/log';
import { eventually } from '@tally/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  agentTopicEnv,
  billingTopicEnv,
  createBillingTopics,
  createPipelineTopics,
  meteringTopicEnv,
  retryingUnknownTopic,
  schemasDir,
} from './src/index.ts';

const endpoints = loadConfig(connectionEnv);
const log = createLogger('demo-e2e', 'warn');
const kafka = createKafka('demo-e2e', endpoints.KAFKA_BROKERS, log);
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const cli = fileURLToPath(new URL('../infra/src/cli.ts', import.meta.url));
const tally = fileURLToPath(new URL('../services/cli/src/main.ts', import.meta.url));
const run = `d${randomBytes(4).toString('hex')}`;
const schema = `demo_${run}`;
const owner = createPool(endpoints.DATABASE_URL, { max: 1 });
let runDir: string | undefined;

/** The first of `count` consecutive free ports from `from` (this run's metrics ports and its API). */
async function freePorts(from: number, count: number): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (let base = from; base < from + 1000; base += count) {
    let all = true;
    for (let port = base; all && port < base + count; port += 1) all = await free(port);
    if (all) return base;
  }
  throw new Error(`no ${count} free ports from ${from}`);
}

afterAll(async () => {
  await owner.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  await owner.end();
  if (runDir !== undefined) await rm(runDir, { recursive: true, force: true });
});

describe('./pnpm start', () => {
  it('runs the services under their own roles, finalizes the month, and stops cleanly on Ctrl-C', async () => {
    runDir = await mkdtemp(join(tmpdir(), 'tally-demo-'));
    const pipeline = await retryingUnknownTopic(() => createPipelineTopics(kafka, registry, run));
    const billing = await createBillingTopics(kafka, registry, run, pipeline);
    // Billing's invoices and abuse's outputs: this run's copies too.
    const own = (spec: TopicSpec): TopicSpec => ({ ...spec, name: `test.${run}.${spec.name}` });
    const invoices = own(topics.invoices);
    const abuse = [own(topics.abuseDecisions), own(topics.accountActions), own(topics.emailNotifications)] as const;
    const admin = kafka.admin();
    await admin.connect();
    await applyTopics(admin, [invoices, ...abuse]).finally(() => admin.disconnect());
    await registerSchemas(registry, schemasDir, [invoices, ...abuse]);
    // Five metrics ports (metering, billing, abuse, drip, mailer), then the API's.
    const metricsPort = await freePorts(24_000 + Math.floor(Math.random() * 160) * 6, 6);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      LOG_LEVEL: 'info',
      KAFKA_BROKERS: endpoints.KAFKA_BROKERS.join(','),
      SCHEMA_REGISTRY_URL: endpoints.SCHEMA_REGISTRY_URL,
      DATABASE_URL: endpoints.DATABASE_URL,
      TALLY_RUN_DIR: runDir,
      TALLY_DEMO_DB_SCHEMA: schema,
      TALLY_DEMO_METRICS_PORT: String(metricsPort),
      TALLY_DEMO_API_PORT: String(metricsPort + 5),
      ...meteringTopicEnv(pipeline),
      ...billingTopicEnv(pipeline, billing, `metering-${run}`),
      ...agentTopicEnv(pipeline),
      PRICES_TOPIC: billing.prices.name,
      BILLING_INVOICES_TOPIC: invoices.name,
      ABUSE_GROUP: `abuse-${run}`,
      ABUSE_ACCOUNTS_TOPIC: pipeline.accounts.name,
      ABUSE_USAGE_TOPIC: pipeline.usage.name,
      ABUSE_BILLING_HOURLY_TOPIC: billing.hourly.name,
      ABUSE_PAYMENTS_TOPIC: billing.payments.name,
      ABUSE_INVOICES_TOPIC: invoices.name,
      ABUSE_DECISIONS_TOPIC: abuse[0].name,
      ABUSE_ACTIONS_TOPIC: abuse[1].name,
      ABUSE_NOTICES_TOPIC: abuse[2].name,
      DRIP_GROUP_PREFIX: `drip-${run}`,
      DRIP_ACCOUNTS_TOPIC: pipeline.accounts.name,
      DRIP_INSTANCES_TOPIC: pipeline.instances.name,
      DRIP_PAYMENTS_TOPIC: billing.payments.name,
      DRIP_BILLING_TOPIC: billing.hourly.name,
      DRIP_NOTIFICATIONS_TOPIC: abuse[2].name,
      MAILER_GROUP: `mailer-${run}`,
      MAILER_TOPIC: abuse[2].name,
      METERING_GROUP: `metering-${run}`,
      METERING_INVENTORY_GROUP: `metering-inventory-${run}`,
      BILLING_GROUP: `billing-${run}`,
    };
    const demo = spawn(
      process.execPath,
      [cli, 'start', '--hypervisors', '1', '--instances-per-hypervisor', '3', '--days', '1'],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    demo.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    demo.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => demo.on('exit', (code) => resolve(code)));
    try {
      const announced = await eventually(
        () => Promise.resolve(output.includes('Tally is running: the first invoices are finalized.')),
        150_000,
        500,
      );
      expect(announced, output).toBe(true);

      // The console's address and the support token, printed once the API answered: the token reads the API.
      const consoleLine = /Console and API: (http:\/\/\S+)\/ /.exec(output);
      const tokenLine = /support token \(shown this once; sign in with it\): (tally_\S+)/.exec(output);
      expect(consoleLine, output).not.toBeNull();
      expect(tokenLine, output).not.toBeNull();
      const apiUrl = consoleLine![1]!;
      expect((await fetch(`${apiUrl}/healthz`)).status).toBe(200);
      const me = await fetch(`${apiUrl}/v1/me`, { headers: { authorization: `Bearer ${tokenLine![1]}` } });
      expect(await me.json()).toEqual({ name: 'demo-support', role: 'support' });
      expect((await fetch(`${apiUrl}/`)).headers.get('content-type')).toMatch(/^text\/html/);
      expect(output).toMatch(/mails: {5}\S+\/mail\/\*\.eml/);

      // Who metering and billing are connected as, while they run (tests use logins of their own prefixes).
      const byService = await owner.query<{ app: string; usename: string }>(
        `SELECT DISTINCT application_name AS app, usename FROM pg_stat_activity
         WHERE application_name IN ('metering', 'billing', 'drip', 'tally-api')
           AND usename LIKE 'tally\\_%\\_login'`,
      );
      expect(byService.rows.map((r) => `${r.app} ${r.usename}`).sort()).toEqual(
        expect.arrayContaining([
          'billing tally_billing_login',
          'drip tally_drip_login',
          'metering tally_metering_login',
          'tally-api tally_api_login',
        ]),
      );

      // The export it prints, run as printed: the read-only login, its password from the pgpass file.
      const line = /invoices: {2}DATABASE_URL=(\S+) PGPASSFILE=(\S+) DB_SCHEMA=(\S+) \.\/pnpm tally (.+)$/m.exec(
        output,
      );
      expect(line, output).not.toBeNull();
      const [, url, passFile, shownSchema, command] = line!;
      expect(new URL(url!).username).toBe('tally_readonly_login');
      expect(shownSchema).toBe(schema);
      const pgpass = await readFile(join(runDir, 'secrets', 'pgpass'), 'utf8');
      for (const login of ['tally_metering_login', 'tally_billing_login', 'tally_readonly_login']) {
        expect(pgpass).toMatch(new RegExp(`^\\*:\\*:\\*:${login}:[0-9a-f]{32}$`, 'm'));
      }
      const csv = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [tally, ...command!.split(' ')], {
          env: { ...process.env, DATABASE_URL: url, PGPASSFILE: passFile, DB_SCHEMA: shownSchema },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(out))));
      });
      expect(csv.split('\n').filter((l) => l.includes('INV-')).length).toBeGreaterThan(0);
    } finally {
      demo.kill('SIGINT');
    }
    expect(await exited, output).toBe(0);
    for (const service of ['metering', 'billing', 'abuse', 'drip', 'mailer', 'api']) {
      const serviceLog = await readFile(join(runDir, 'services', `${service}.log`), 'utf8');
      expect(serviceLog, service).toMatch(/"msg":"stopped"/);
      expect(serviceLog, service).not.toMatch(/permission denied/);
    }
  }, 240_000);
});
