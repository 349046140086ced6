/**
 * Abuse, drip and the mailer on a SASL_SSL broker with ACLs (infra/src/secure-broker.ts: nothing allowed without an
 * ACL), each under its own SCRAM principal holding exactly the ACLs serviceGrants gives it (infra/src/service-acls.ts),
 * from the same topic and group variables the processes read. A miner on free credit is suspended by abuse, drip
 * welcomes it on its first instance, the mailer delivers both notices to an SMTP server: each service consumed its
 * inputs and published its outputs with its own rights, nothing was dead-lettered or refused. And a principal is
 * refused what it holds no ACL for: a topic it does not read, one it does not write, a group that is not its own.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import { grantServiceAcls, runDir, serviceGrants, startSecureBroker, type SecureBroker } from '@tally/infra';
import {
  createIdempotentProducer,
  createKafka,
  createRegistry,
  deadLetterTopicOf,
  readToEnd,
  typedTopics,
  valueCodec,
  type TypedTopic,
} from '@tally/kafka';
import { createLogger } from '@tally/log';
import {
  billingKey,
  usageKey,
  type AbuseDecision,
  type Account,
  type BillingHourly,
  type EmailNotification,
  type Instance,
  type UsageHourly,
} from '@tally/records';
import { eventually, startNodeChild, type ChildHandle } from '@tally/testing';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  abuseTopicEnv,
  createFreshTopics,
  dripTopicEnv,
  freshTopic,
  mailerTopicEnv,
  quickAbuseEnv,
  quickDripEnv,
  quickMailerEnv,
  recordCount,
  scramClientEnv,
  scramUser,
} from './src/index.ts';

const endpoints = loadConfig(connectionEnv);
const log = createLogger('secure-services-e2e', 'warn');
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const main = (service: string) => fileURLToPath(new URL(`../services/${service}/src/main.ts`, import.meta.url));
const run = `ss${randomBytes(4).toString('hex')}`;

const HOUR = 3_600_000;
const START = Date.UTC(2026, 5, 1);
const HOURS = 8;
const MINER = `${run}-miner`;

const principals = { abuse: scramUser('abuse'), drip: scramUser('drip'), mailer: scramUser('mailer') };
type Principal = keyof typeof principals;

const t = {
  accounts: freshTopic(run, typedTopics.accounts, 'accounts'),
  instances: freshTopic(run, typedTopics.instances, 'instances'),
  usage: freshTopic(run, typedTopics.usageHourly, 'usage'),
  hourly: freshTopic(run, typedTopics.billingHourly, 'hourly'),
  payments: freshTopic(run, typedTopics.payments, 'payments'),
  invoices: freshTopic(run, typedTopics.invoices, 'invoices'),
  decisions: freshTopic(run, typedTopics.abuseDecisions, 'decisions'),
  actions: freshTopic(run, typedTopics.accountActions, 'actions'),
  notices: freshTopic(run, typedTopics.emailNotifications, 'notices'),
};
const consumed = [t.accounts, t.instances, t.usage, t.hourly, t.payments, t.invoices, t.notices];

/** The names the three processes read, and serviceGrants reads the same way. */
const names: Record<string, string> = {
  ...abuseTopicEnv(`abuse-${run}`, t),
  ...dripTopicEnv(`drip-${run}`, t),
  ...mailerTopicEnv(`mailer-${run}`, t.notices),
};

/** A bare SMTP server (no TLS, no auth) that keeps each message's recipients. */
function smtpSink(): { server: Server; received: string[][] } {
  const received: string[][] = [];
  const server = createServer((socket) => {
    let buffer = '';
    let data = false;
    let rcpt: string[] = [];
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 sink ESMTP');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let end: number;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (data) {
          if (line === '.') {
            data = false;
            received.push(rcpt);
            rcpt = [];
            reply('250 queued');
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') reply('250 sink');
        else if (verb === 'RCPT') {
          rcpt.push(/<([^>]*)>/.exec(line)?.[1] ?? line);
          reply('250 ok');
        } else if (verb === 'DATA') {
          data = true;
          reply('354 go ahead');
        } else if (verb === 'QUIT') {
          reply('221 bye');
          socket.end();
        } else reply('250 ok');
      }
    });
    socket.on('error', () => undefined);
  });
  return { server, received };
}

const children: ChildHandle[] = [];
const databases: TestDatabase[] = [];
const smtp = smtpSink();
let broker: SecureBroker;
let admin: Kafka;
let workDir: string;
let producer: Producer;
let brokerSeconds = 0;

async function start(service: Principal, env: NodeJS.ProcessEnv): Promise<ChildHandle> {
  const db = await createTestDatabase(endpoints.DATABASE_URL);
  databases.push(db);
  const child = startNodeChild(main(service), {
    LOG_LEVEL: 'info',
    ...(await scramClientEnv(broker, principals[service], workDir)),
    ...names,
    DATABASE_URL: endpoints.DATABASE_URL,
    DB_SCHEMA: db.schema,
    ...env,
  });
  children.push(child);
  return child;
}

/**
 * A client of `principal`. kafkajs never retries a refusal (authorization errors are not retriable); the retries are
 * for a fresh broker whose group coordinator is still loading.
 */
function probeClient(principal: Principal): Kafka {
  return new Kafka({
    clientId: 'secure-services-probe',
    brokers: broker.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 300 },
    ...broker.security(principals[principal], 'scram-sha-512'),
  });
}

const errorType = (error: unknown): string => {
  const e = error as { type?: string; name?: string; cause?: { type?: string } };
  return e.type ?? e.cause?.type ?? e.name ?? String(error);
};

/** 'ok', or the error type of one send as `principal`. */
async function sendAs(principal: Principal, topic: string): Promise<string> {
  const p = probeClient(principal).producer();
  try {
    await p.connect();
    await p.send({ topic, acks: -1, messages: [{ key: 'k', value: 'forged' }] });
    return 'ok';
  } catch (error) {
    return errorType(error);
  } finally {
    await p.disconnect().catch(() => undefined);
  }
}

/** 'ok' once a record was fetched, or the error type of reading `topic` from its start as `principal` in `groupId`. */
async function readAs(principal: Principal, topic: string, groupId: string): Promise<string> {
  const consumer = probeClient(principal).consumer({ groupId });
  try {
    await consumer.connect();
    const outcome = new Promise<string>((resolve) => {
      consumer.on(consumer.events.CRASH, (event) => resolve(errorType(event.payload.error)));
      setTimeout(() => resolve('timeout'), 20_000).unref();
    });
    await consumer.subscribe({ topic, fromBeginning: true });
    // Nothing committed: a probe in a service's own group must not move its offsets.
    await consumer.run({ autoCommit: false, eachMessage: () => Promise.resolve() });
    const fetched = new Promise<string>((resolve) => consumer.on(consumer.events.FETCH, () => resolve('ok')));
    return await Promise.race([outcome, fetched]);
  } catch (error) {
    return errorType(error);
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

async function send<T>(topic: TypedTopic<T>, records: readonly { key: string; value: T }[]): Promise<void> {
  const codec = valueCodec(registry, topic);
  const messages = [];
  for (const r of records) messages.push({ key: r.key, value: await codec.encode(r.value) });
  await producer.send({ topic: topic.spec.name, acks: -1, messages });
}

async function published<T>(topic: TypedTopic<T>): Promise<T[]> {
  const codec = valueCodec(registry, topic);
  return Promise.all((await readToEnd(admin, topic.spec.name)).map((r) => codec.decode(r.message.value)));
}

/** The upstream a deployment has (customer management, the orchestrator, metering, billing): a miner's 8 hours. */
async function publishInputs(): Promise<void> {
  const miner: Account = {
    accountId: MINER,
    name: MINER,
    email: `${MINER}@example.com`,
    plan: 'trial',
    freeCredit: '100',
    currency: 'USD',
    timeZone: 'UTC',
    createdAt: START - 2 * HOUR,
    address: null,
    unsubscribed: false,
  };
  await send(t.accounts, [{ key: MINER, value: miner }]);
  const instances = ['a', 'b'].map((i): Instance => ({
    instanceId: `${MINER}-${i}`,
    accountId: MINER,
    instanceType: 's1.medium',
    zone: 'z1',
    state: 'running',
    createdAt: START,
    updatedAt: START,
  }));
  await send(
    t.instances,
    instances.map((i) => ({ key: i.instanceId, value: i })),
  );
  for (let hour = 0; hour < HOURS; hour += 1) {
    // Two s1.medium at ~99 % of 2 vCPU on free credit: mining.
    const usage = instances.map((i, n): UsageHourly => ({
      instanceId: i.instanceId,
      accountId: MINER,
      instanceType: i.instanceType,
      hourStart: START + hour * HOUR,
      runningSeconds: 3600,
      rxBytes: 0,
      txBytes: 0,
      rxPackets: 0,
      txPackets: 0,
      cpuSeconds: n === 0 ? '7150' : '7100',
      counted: [],
      version: 120,
    }));
    await send(
      t.usage,
      usage.map((u) => ({ key: usageKey(u.instanceId, u.hourStart), value: u })),
    );
    const charge: BillingHourly = {
      accountId: MINER,
      hourStart: START + hour * HOUR,
      currency: 'USD',
      lines: [],
      hourTotal: '0.5',
      monthToDate: String(0.5 * (hour + 1)),
      version: 1,
    };
    await send(t.hourly, [{ key: billingKey(MINER, charge.hourStart), value: charge }]);
  }
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'tally-secure-services-'));
  await new Promise<void>((resolve) => smtp.server.listen(0, '127.0.0.1', resolve));
  const began = Date.now();
  broker = await startSecureBroker(`services-${run}`, Object.values(principals), log, 120_000);
  brokerSeconds = (Date.now() - began) / 1000;
  admin = createKafka('secure-services-admin', broker.brokers, log, broker.security(broker.admin, 'scram-sha-512'));
  await createFreshTopics(admin, registry, Object.values(t), consumed);
  const kafkaAdmin = admin.admin();
  await kafkaAdmin.connect();
  try {
    const grants = serviceGrants(names);
    await grantServiceAcls(kafkaAdmin, {
      [principals.abuse.name]: grants.abuse,
      [principals.drip.name]: grants.drip,
      [principals.mailer.name]: grants.mailer,
    });
  } finally {
    await kafkaAdmin.disconnect();
  }
  producer = createIdempotentProducer(admin);
  await producer.connect();
  await publishInputs();
}, 150_000);

afterAll(async () => {
  for (const child of children) child.process.kill('SIGKILL');
  await producer?.disconnect().catch(() => undefined);
  await broker?.stop();
  await rm(join(runDir, 'secure-kafka', `services-${run}`), { recursive: true, force: true });
  for (const db of databases) await db.drop();
  await new Promise((resolve) => smtp.server.close(resolve));
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

describe('abuse, drip and the mailer on a SASL_SSL broker, each under its own principal and ACLs', () => {
  it('consume their inputs and publish their outputs with their own rights, and nothing more', async () => {
    const started = Date.now();
    // Before they start (a probe in a service's group would make it rebalance): a principal reads with its own group
    // (once the fresh broker's group coordinator has loaded), and is refused what it holds no ACL for.
    const dripAccounts = `${names['DRIP_GROUP_PREFIX']}-accounts`;
    expect(await readAs('drip', t.accounts.spec.name, dripAccounts)).toBe('ok');
    // kafkajs drops FindCoordinator's GROUP_AUTHORIZATION_FAILED and reports the coordinator as not found.
    expect(await readAs('drip', t.accounts.spec.name, `${names['ABUSE_GROUP']}-accounts`)).toBe(
      'KafkaJSGroupCoordinatorNotFound',
    );
    expect(await readAs('mailer', t.accounts.spec.name, names['MAILER_GROUP']!)).toBe('TOPIC_AUTHORIZATION_FAILED');
    // Abuse writes notices but may not read them.
    expect(await readAs('abuse', t.notices.spec.name, `${names['ABUSE_GROUP']}-accounts`)).toBe(
      'TOPIC_AUTHORIZATION_FAILED',
    );
    expect(await sendAs('drip', t.decisions.spec.name)).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await sendAs('mailer', t.notices.spec.name)).toBe('TOPIC_AUTHORIZATION_FAILED');

    const policies = join(workDir, 'abuse-policy.yaml');
    await writeFile(policies, 'latenessHours: 2\n');
    const abuse = await start('abuse', { ...quickAbuseEnv, ABUSE_POLICY_FILE: policies });
    const drip = await start('drip', quickDripEnv);
    const mailer = await start('mailer', {
      ...quickMailerEnv((smtp.server.address() as AddressInfo).port),
      SMTP_HOST: '127.0.0.1',
    });

    // Abuse suspends the miner and tells it; drip welcomes it; the mailer delivers both.
    const delivered = await eventually(
      async () => {
        const templates = new Set((await published(t.notices)).map((n) => n.template));
        return templates.has('abuse-suspended') && templates.has('welcome') && smtp.received.length >= 2;
      },
      40_000,
      500,
    );
    expect(delivered, `${abuse.output()}\n${drip.output()}\n${mailer.output()}`).toBe(true);
    const decisions: AbuseDecision[] = await published(t.decisions);
    expect(decisions.at(-1)?.status).toBe('suspended');
    expect((await published(t.actions)).map((a) => a.action)).toContain('suspend');
    const notices: EmailNotification[] = await published(t.notices);
    expect(smtp.received.length).toBe(notices.length);
    expect(smtp.received.flat().every((to) => to === `${MINER}@example.com`)).toBe(true);

    for (const child of [abuse, drip, mailer]) {
      child.process.kill('SIGTERM');
      expect(await child.exited, child.output()).toBe(0);
      expect(child.output()).not.toMatch(/AUTHORIZATION_FAILED|SASL/);
    }
    for (const topic of consumed) {
      expect(await recordCount(admin, deadLetterTopicOf(topic.spec.name)), topic.spec.name).toBe(0);
    }
    console.info(
      `secure services: ${decisions.length} decisions, ${notices.length} notices delivered, ` +
        `${((Date.now() - started) / 1000).toFixed(0)} s after the broker was up (${brokerSeconds.toFixed(0)} s to start it)`,
    );
  }, 90_000);
});
