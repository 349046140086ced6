import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import { hourOf } from '@tally/fsm';
import {
  createIdempotentProducer,
  createKafka,
  createRegistry,
  readToEnd,
  typedTopics,
  valueCodec,
  type TypedTopic,
} from '@tally/kafka';
import { createLogger } from '@tally/log';
import { type Account, type BillingHourly, type EmailNotification, type Instance, type Payment } from '@tally/records';
import { eventually, startNodeChild, type ChildHandle } from '@tally/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFreshTopics, dripTopicEnv, freshTopic, quickDripEnv } from '../../../test/src/abuse-drip-topics.ts';

/**
 * The drip process on the real broker and database: four input topics with a few accounts over two days of
 * billing hours; every mail is decided once, and a replay of the groups from the start sends nothing again.
 */

const endpoints = loadConfig(connectionEnv);
const log = createLogger('drip-test', 'warn');
const kafka = createKafka('drip-test', endpoints.KAFKA_BROKERS, log);
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const mainEntry = fileURLToPath(new URL('./main.ts', import.meta.url));
const cliEntry = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));
const execFileAsync = promisify(execFile);
const run = `dr${randomBytes(4).toString('hex')}`;
const prefix = `${run}-drip`;

const accountsTopic = freshTopic(run, typedTopics.accounts, 'accounts', 2);
const instancesTopic = freshTopic(run, typedTopics.instances, 'instances', 2);
const paymentsTopic = freshTopic(run, typedTopics.payments, 'payments', 2);
const billingTopic = freshTopic(run, typedTopics.billingHourly, 'billing', 2);
const mailTopic = freshTopic(run, typedTopics.emailNotifications, 'email', 2);
const inputs = [accountsTopic, instancesTopic, paymentsTopic, billingTopic];

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 9, 5, 8, 0);
const H0 = hourOf(T0);
const id = (name: string) => `${run}-${name}`;

function signup(name: string, overrides: Partial<Account> = {}): Account {
  return {
    accountId: id(name),
    name: name.toUpperCase(),
    email: `${name}@example.com`,
    plan: 'trial',
    freeCredit: '100.00',
    currency: 'EUR',
    timeZone: 'UTC',
    createdAt: T0 + 5 * 60_000,
    address: null,
    unsubscribed: false,
    ...overrides,
  };
}
function vm(owner: string, at: number): Instance {
  return {
    instanceId: id(`${owner}-vm`),
    accountId: id(owner),
    instanceType: 'c1.small',
    zone: 'z1',
    state: 'running',
    createdAt: at,
    updatedAt: at,
  };
}
function hourly(owner: string, hour: number, total: string): BillingHourly {
  return {
    accountId: id(owner),
    hourStart: hour * HOUR,
    currency: 'EUR',
    lines: [{ sku: 'cpu', quantity: '1', amount: total }],
    hourTotal: total,
    monthToDate: total,
    version: 1,
  };
}
const hours = (owner: string, from: number, to: number, total: string) =>
  Array.from({ length: to - from + 1 }, (_, i) => hourly(owner, H0 + from + i, total));

/** ann waits 30 h for her first VM; bob burns his credit at 3 EUR an hour; cy adds a card; dee unsubscribed. */
const expected = [
  'ann.getting-started.signup',
  'ann.welcome.first-instance',
  'bob.welcome.first-instance',
  'bob.credit-used.50',
  'bob.credit-used.80',
  'bob.credit-used.100',
  'bob.add-payment-method.credit-gone',
  'cy.welcome.first-instance',
  'cy.thanks.converted',
].map((mail) => `drip.${run}-${mail}`);

let db: TestDatabase;
let producer: ReturnType<typeof createIdempotentProducer>;
let child: ChildHandle | undefined;

async function send<T>(topic: TypedTopic<T>, key: (value: T) => string, values: readonly T[]): Promise<void> {
  const codec = valueCodec(registry, topic);
  await producer.send({
    topic: topic.spec.name,
    acks: -1,
    messages: await Promise.all(values.map(async (value) => ({ key: key(value), value: await codec.encode(value) }))),
  });
}

function dripEnv(): NodeJS.ProcessEnv {
  return {
    DB_SCHEMA: db.schema,
    ...dripTopicEnv(prefix, {
      accounts: accountsTopic,
      instances: instancesTopic,
      payments: paymentsTopic,
      hourly: billingTopic,
      notices: mailTopic,
    }),
  };
}

function startDrip(): ChildHandle {
  return startNodeChild(mainEntry, { ...dripEnv(), ...quickDripEnv, DRIP_DECIDE_INTERVAL_MS: '200' });
}

async function stopDrip(): Promise<void> {
  if (child === undefined) return;
  // A SIGTERM while its modules still load kills it before its handlers exist (a restart just before afterAll).
  const running = child;
  await eventually(
    () => Promise.resolve(running.output().includes('drip started') || running.process.exitCode !== null),
    60_000,
    50,
  );
  child.process.kill('SIGTERM');
  expect(await child.exited).toBe(0);
  child = undefined;
}

async function mails(): Promise<EmailNotification[]> {
  const codec = valueCodec(registry, mailTopic);
  const records = await readToEnd(kafka, mailTopic.spec.name);
  return Promise.all(records.map(({ message }) => codec.decode(message.value)));
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 75_000): Promise<void> {
  if (!(await eventually(check, timeoutMs, 500)))
    throw new Error(`timed out waiting for ${what}\n${child?.output().slice(-5_000) ?? ''}`);
}

/** Every input group has stored offsets at its topic's end, and the outbox is empty. */
async function settled(): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const [topic, group] of inputs.map(
      (t, i) => [t.spec.name, `${prefix}-${['accounts', 'instances', 'payments', 'billing'][i]}`] as const,
    )) {
      const ends = await admin.fetchTopicOffsets(topic);
      const stored = await db.pool.query<{ partition: number; next_offset: string }>(
        'SELECT partition, next_offset FROM consumer_offsets WHERE group_id = $1 AND topic = $2',
        [group, topic],
      );
      const next = new Map(stored.rows.map((row) => [row.partition, BigInt(row.next_offset)]));
      if (ends.some((end) => BigInt(end.high) > BigInt(end.low) && (next.get(end.partition) ?? -1n) < BigInt(end.high)))
        return false;
    }
  } finally {
    await admin.disconnect();
  }
  const outbox = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox');
  return outbox.rows[0]!.n === 0;
}

const watermarkNow = async () =>
  Number((await db.pool.query<{ watermark: string }>('SELECT watermark FROM drip_watermark')).rows[0]?.watermark ?? -1);

beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
  await createFreshTopics(kafka, registry, [...inputs, mailTopic], [...inputs, mailTopic]);
  producer = createIdempotentProducer(kafka);
  await producer.connect();
});

afterAll(async () => {
  await stopDrip();
  await producer?.disconnect();
  await db?.drop();
});

describe('drip', () => {
  it('decides each mail once, on the watermark of billing hours', async () => {
    await send(accountsTopic, (a) => a.accountId, [
      signup('ann'),
      signup('bob'),
      signup('cy'),
      signup('dee', { unsubscribed: true }),
    ]);
    await send(instancesTopic, (i) => i.instanceId, [
      vm('ann', T0 + 30 * HOUR),
      vm('bob', T0 + HOUR),
      vm('cy', T0 + 2 * HOUR),
      vm('dee', T0 + 3 * HOUR),
    ]);
    await send(paymentsTopic, (p: Payment) => p.accountId, [
      {
        paymentId: id('p1'),
        accountId: id('cy'),
        kind: 'payment_method_added',
        invoiceNumber: null,
        amount: null,
        at: T0 + 5 * HOUR,
      },
    ]);
    child = startDrip();
    // Billing's hours arrive as billing completes them: bob 3 EUR an hour, cy and dee a little.
    await send(billingTopic, (b) => b.accountId, [...hours('cy', 2, 10, '1.00'), ...hours('dee', 3, 20, '50.00')]);
    await send(billingTopic, (b) => b.accountId, hours('bob', 1, 44, '3.00'));

    // Hours below 44 - 2 (the policy's lateness) are closed.
    await until('the watermark at hour 42', async () => (await watermarkNow()) === H0 + 42);
    await until('the decisions sent', settled);
    const sent = await mails();
    expect(sent.map((mail) => mail.messageId).sort()).toEqual([...expected].sort());
    const bob50 = sent.find((mail) => mail.messageId.endsWith('bob.credit-used.50'))!;
    expect(bob50).toMatchObject({
      template: 'credit-used',
      recipient: 'bob@example.com',
      variables: { name: 'BOB', percent: '50', used: '51.00', credit: '100.00', currency: 'EUR' },
    });
    const buffered = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM drip_events WHERE hour < $1', [
      H0 + 42,
    ]);
    expect(buffered.rows[0]!.n).toBe(0);
  });

  it('sends nothing again when its groups are replayed from the start', async () => {
    await stopDrip();
    // The operator's command, as a user runs it: it rewinds the four groups' stored offsets to the start.
    const replay = await execFileAsync(process.execPath, [cliEntry, 'replay', 'drip', '--from', 'earliest', '--yes'], {
      env: { ...process.env, ...dripEnv() },
    });
    expect(replay.stdout).toMatch(/replayed: [1-9]\d* partitions rewound/);
    const stored = await db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM consumer_offsets WHERE group_id LIKE $1 AND next_offset > 0',
      [`${prefix}-%`],
    );
    expect(stored.rows[0]!.n).toBe(0);
    child = startDrip();
    // Billing moves on meanwhile, so the re-read records (late now) are applied in the next open hours.
    await send(billingTopic, (b) => b.accountId, hours('bob', 45, 48, '3.00'));
    await until('the watermark at hour 46', async () => (await watermarkNow()) === H0 + 46);
    await until('the replayed records applied', async () => {
      const left = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM drip_events WHERE hour < $1', [
        H0 + 46,
      ]);
      return left.rows[0]!.n === 0 && (await settled());
    });
    const sent = await mails();
    expect(sent.map((mail) => mail.messageId).sort()).toEqual([...expected].sort());
  });

  it('decides each mail once with drip SIGKILLed at seeded random points', async () => {
    // mulberry32: the kill points are random but replayable from the seed in a failure message.
    const seed = Number.parseInt(run.slice(2), 16);
    let state = seed >>> 0;
    const random = () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let x = Math.imul(state ^ (state >>> 15), state | 1);
      x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
      return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
    };
    await send(accountsTopic, (a) => a.accountId, [
      signup('fay', { createdAt: T0 + 50 * HOUR }),
      signup('gus', { createdAt: T0 + 50 * HOUR }),
    ]);
    await send(instancesTopic, (i) => i.instanceId, [vm('fay', T0 + 51 * HOUR)]);
    await send(paymentsTopic, (p: Payment) => p.accountId, [
      {
        paymentId: id('p2'),
        accountId: id('gus'),
        kind: 'payment_method_added',
        invoiceNumber: null,
        amount: null,
        at: T0 + 80 * HOUR,
      },
    ]);
    const chunks = [
      [...hours('fay', 52, 62, '10.00'), ...hours('bob', 49, 60, '3.00')],
      hours('bob', 61, 72, '3.00'),
      hours('bob', 73, 84, '3.00'),
      hours('bob', 85, 90, '3.00'),
    ];
    for (const chunk of chunks) {
      await send(billingTopic, (b) => b.accountId, chunk);
      // Let it work for a random while, then kill it without warning and start it again.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 2_500)));
      child?.process.kill('SIGKILL');
      await child?.exited;
      child = startDrip();
    }
    await until('the watermark at hour 88', async () => (await watermarkNow()) === H0 + 88, 90_000);
    await until('the decisions sent', settled);
    // The topic has two partitions: pick the new accounts' mails by id, not by position.
    const fresh = (await mails()).filter(
      (mail) => mail.messageId.includes(`${run}-fay.`) || mail.messageId.includes(`${run}-gus.`),
    );
    const expectedNow = [
      'fay.welcome.first-instance',
      'fay.credit-used.50',
      'fay.credit-used.80',
      'fay.credit-used.100',
      'fay.add-payment-method.credit-gone',
      'gus.getting-started.signup',
      'gus.thanks.converted',
    ].map((mail) => `drip.${run}-${mail}`);
    // Each mail was decided once. The outbox may send a row again if the process died between the broker's ack
    // and the row's delete: then the copy is the same notification, which the mailer skips by its id.
    expect([...new Set(fresh.map((mail) => mail.messageId))].sort()).toEqual(expectedNow.sort());
    for (const mail of fresh) expect(mail).toEqual(fresh.find((other) => other.messageId === mail.messageId));
    const decided = await db.pool.query<{ account_id: string; decided: string[] }>(
      `SELECT account_id, state->'decided' AS decided FROM drip_accounts WHERE account_id = ANY($1) ORDER BY account_id`,
      [[id('fay'), id('gus')]],
    );
    expect(decided.rows.map((row) => row.decided.length)).toEqual([5, 2]);
  });
});
