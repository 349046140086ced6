/**
 * Abuse on the real broker, registry and PostgreSQL, as a child process: a miner on free credit is suspended
 * within 6 hours of starting, a CPU-heavy paying customer only watched, a late payer reminded, warned, suspended
 * and resumed once paid. Then a second abuse with a new group and empty tables replays every input from the start
 * and must publish identical decisions, actions and notice ids.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, type TestDatabase } from '@tally/db';
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
import {
  billingKey,
  invoiceKey,
  usageKey,
  type AbuseDecision,
  type Account,
  type AccountAction,
  type BillingHourly,
  type EmailNotification,
  type Invoice,
  type Payment,
  type UsageHourly,
} from '@tally/records';
import { eventually, startNodeChild, type ChildHandle } from '@tally/testing';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { abuseClear } from '../../cli/src/abuse-clear.ts';
import { abuseExplain } from '../../cli/src/abuse-explain.ts';
import { abuseTopicEnv, createFreshTopics, freshTopic, quickAbuseEnv } from '../../../test/src/abuse-drip-topics.ts';

const endpoints = loadConfig(connectionEnv);
const log = createLogger('abuse-test', 'warn');
const kafka = createKafka('abuse-test', endpoints.KAFKA_BROKERS, log);
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const abuseMain = fileURLToPath(new URL('./main.ts', import.meta.url));
const run = `ab${randomBytes(4).toString('hex')}`;

const HOUR = 3_600_000;
const START = Date.UTC(2026, 5, 1, 0); // the miner starts here
const HOURS = 22;
const MINER = `${run}-miner`;
const HEAVY = `${run}-heavy`;
const LATE = `${run}-late`;
const INVOICE = `INV-${run}-1`;

const inputs = {
  accounts: freshTopic(run, typedTopics.accounts, 'accounts'),
  usage: freshTopic(run, typedTopics.usageHourly, 'usage', 4),
  hourly: freshTopic(run, typedTopics.billingHourly, 'hourly'),
  payments: freshTopic(run, typedTopics.payments, 'payments'),
  invoices: freshTopic(run, typedTopics.invoices, 'invoices'),
};
const outputsOf = (round: string) => ({
  decisions: freshTopic(run, typedTopics.abuseDecisions, `${round}.decisions`),
  actions: freshTopic(run, typedTopics.accountActions, `${round}.actions`),
  notices: freshTopic(run, typedTopics.emailNotifications, `${round}.notices`),
});

const children: ChildHandle[] = [];
const databases: TestDatabase[] = [];
let producer: Producer;
let policyFile: string;

beforeAll(async () => {
  await createFreshTopics(
    kafka,
    registry,
    [...Object.values(inputs), ...Object.values(outputsOf('first')), ...Object.values(outputsOf('replay'))],
    Object.values(inputs),
  );
  producer = createIdempotentProducer(kafka);
  await producer.connect();
  const dir = await mkdtemp(join(tmpdir(), 'abuse-policy-'));
  policyFile = join(dir, 'policy.yaml');
  // Short payment delays so the chase fits in a day of data; mining thresholds are the defaults.
  await writeFile(
    policyFile,
    'latenessHours: 2\nlatePayment:\n  reminderAfterHours: 1\n  warningAfterHours: 3\n  suspendAfterHours: 3\n',
  );
  await publishInputs();
});

afterAll(async () => {
  for (const child of children) child.process.kill('SIGKILL');
  await producer?.disconnect();
  for (const db of databases) await db.drop();
});

async function send<T>(topic: TypedTopic<T>, records: readonly { key: string; value: T }[]): Promise<void> {
  const codec = valueCodec(registry, topic);
  const messages = [];
  for (const r of records) messages.push({ key: r.key, value: await codec.encode(r.value) });
  await producer.send({ topic: topic.spec.name, acks: -1, messages });
}

function account(accountId: string, plan: Account['plan'], createdAt: number): Account {
  return {
    accountId,
    name: accountId,
    email: `${accountId}@example.com`,
    plan,
    freeCredit: plan === 'trial' ? '100' : '0',
    currency: 'USD',
    timeZone: 'UTC',
    createdAt,
    address: null,
    unsubscribed: false,
  };
}

function usage(accountId: string, instance: string, type: string, hour: number, cpuSeconds: string): UsageHourly {
  return {
    instanceId: `${accountId}-${instance}`,
    accountId,
    instanceType: type,
    hourStart: START + hour * HOUR,
    runningSeconds: 3600,
    rxBytes: 0,
    txBytes: 0,
    rxPackets: 0,
    txPackets: 0,
    cpuSeconds,
    counted: [],
    version: 120,
  };
}

function charge(accountId: string, hour: number, hourTotal: string): BillingHourly {
  return {
    accountId,
    hourStart: START + hour * HOUR,
    currency: 'USD',
    lines: [],
    hourTotal,
    monthToDate: hourTotal,
    version: 1,
  };
}

function payment(
  accountId: string,
  id: string,
  kind: Payment['kind'],
  hour: number,
  invoiceNumber: string | null = null,
): Payment {
  return {
    paymentId: `${run}-${id}`,
    accountId,
    kind,
    invoiceNumber,
    amount: invoiceNumber ? '42.00' : null,
    at: START + hour * HOUR + 60_000,
  };
}

/** A day of data, hour by hour as the pipeline would produce it; payments and invoices where they happen. */
async function publishInputs(): Promise<void> {
  await send(inputs.accounts, [
    { key: MINER, value: account(MINER, 'trial', START - 2 * HOUR) },
    { key: HEAVY, value: account(HEAVY, 'paying', START - 400 * 24 * HOUR) },
    { key: LATE, value: account(LATE, 'paying', START - 90 * 24 * HOUR) },
  ]);
  await send(inputs.payments, [
    { key: HEAVY, value: payment(HEAVY, 'card', 'payment_method_added', -5000) },
    { key: LATE, value: payment(LATE, 'card-late', 'payment_method_added', -2000) },
  ]);
  const invoice: Invoice = {
    accountId: LATE,
    month: '2026-05',
    currency: 'USD',
    kind: 'regular',
    issuer: 'tally',
    number: INVOICE,
    lines: [{ kind: 'usage', sku: 'compute.s1.small', quantity: '720', amount: '42.00' }],
    subtotal: '42.00',
    creditApplied: '0.00',
    total: '42.00',
    finalizedAt: START + 2 * HOUR,
    dueAt: START + 4 * HOUR,
    contentHash: 'sha256:test',
    version: 1,
  };
  for (let hour = 0; hour < HOURS; hour += 1) {
    // The miner: two s1.medium at ~99 % of 2 vCPU, 0.5 an hour of 100 free credit, for 8 hours.
    const minerUsage =
      hour < 8 ? [usage(MINER, 'a', 's1.medium', hour, '7150'), usage(MINER, 'b', 's1.medium', hour, '7100')] : [];
    const heavyUsage = [usage(HEAVY, 'gpu', 'g1.large', hour, '28500')];
    const lateUsage = [usage(LATE, 'web', 's1.small', hour, '300')];
    await send(
      inputs.usage,
      [...minerUsage, ...heavyUsage, ...lateUsage].map((u) => ({ key: usageKey(u.instanceId, u.hourStart), value: u })),
    );
    const charges = [
      charge(HEAVY, hour, '2.5'),
      charge(LATE, hour, '0.02'),
      ...(hour < 8 ? [charge(MINER, hour, '0.5')] : []),
    ];
    await send(
      inputs.hourly,
      charges.map((c) => ({ key: billingKey(c.accountId, c.hourStart), value: c })),
    );
    if (hour === 2)
      await send(inputs.invoices, [{ key: invoiceKey(LATE, invoice.month, invoice.currency), value: invoice }]);
    if (hour === 6)
      await send(inputs.payments, [{ key: LATE, value: payment(LATE, 'failed', 'payment_failed', 6, INVOICE) }]);
    if (hour === 14)
      await send(inputs.payments, [{ key: LATE, value: payment(LATE, 'paid', 'invoice_paid', 14, INVOICE) }]);
  }
}

function startAbuse(db: TestDatabase, round: string): ChildHandle {
  const child = startNodeChild(abuseMain, {
    DB_SCHEMA: db.schema,
    ...abuseTopicEnv(`${run}-${round}`, { ...inputs, ...outputsOf(round) }),
    ...quickAbuseEnv,
    ABUSE_POLICY_FILE: policyFile,
    ABUSE_MAX_BYTES_PER_PARTITION: '4096', // small fetches: partitions interleave differently per run
    LOG_LEVEL: 'warn',
  });
  children.push(child);
  return child;
}

/** Waits until the decider closed every hour it can (the clock's last hour less the lateness) and the outbox is empty. */
async function settle(db: TestDatabase, child: ChildHandle): Promise<void> {
  const lastClosed = Math.floor(START / HOUR) + HOURS - 1 - 2;
  const done = await eventually(
    async () => {
      const mark = await db.pool.query<{ hour: string }>('SELECT hour FROM abuse_watermark');
      const outbox = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox');
      const waiting = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM abuse_events WHERE hour < $1', [
        lastClosed,
      ]);
      return Number(mark.rows[0]?.hour ?? 0) >= lastClosed && outbox.rows[0]?.n === '0' && waiting.rows[0]?.n === '0';
    },
    80_000,
    300,
  );
  expect(done, child.output()).toBe(true);
}

interface Published {
  decisions: Map<string, AbuseDecision>;
  actions: AccountAction[];
  notices: EmailNotification[];
}

async function published(round: string): Promise<Published> {
  const outputs = outputsOf(round);
  const read = async <T>(topic: TypedTopic<T>): Promise<T[]> => {
    const codec = valueCodec(registry, topic);
    const records = await readToEnd(kafka, topic.spec.name);
    records.sort((a, b) => a.partition - b.partition || Number(BigInt(a.message.offset) - BigInt(b.message.offset)));
    return Promise.all(records.map((r) => codec.decode(r.message.value)));
  };
  const decisions = new Map<string, AbuseDecision>();
  for (const d of await read(outputs.decisions)) {
    const seen = decisions.get(d.accountId);
    if (seen === undefined || seen.version < d.version) decisions.set(d.accountId, d);
  }
  return { decisions, actions: await read(outputs.actions), notices: await read(outputs.notices) };
}

const path = (d: AbuseDecision | undefined) => d?.history.map((h) => `${h.to}@${(h.hourStart - START) / HOUR}`) ?? [];

describe('abuse on the real broker', () => {
  let first: Published;
  let firstDb: TestDatabase;

  it('suspends the miner, watches the heavy paying customer, chases the late payer and resumes it when paid', async () => {
    const db = await createTestDatabase(endpoints.DATABASE_URL);
    databases.push(db);
    const child = startAbuse(db, 'first');
    await settle(db, child);
    first = await published('first');

    const miner = first.decisions.get(MINER);
    expect(miner?.status, child.output()).toBe('suspended');
    const suspendedAt = miner!.history.find((h) => h.to === 'suspended')!.hourStart;
    expect(suspendedAt - START).toBeLessThan(6 * HOUR);
    expect(miner!.evidence.map((e) => e.name)).toContain('cpuRatio');

    const heavy = first.decisions.get(HEAVY);
    expect(heavy?.status).toBe('watch');
    expect(path(heavy)).toEqual(['watch@5']);

    expect(path(first.decisions.get(LATE))).toEqual(['watch@5', 'warned@8', 'suspended@11', 'good@14']);

    const actions = first.actions.map(
      (a) => `${a.accountId.slice(run.length + 1)}:${a.action}@${(a.hourStart - START) / HOUR}`,
    );
    expect(actions.sort()).toEqual(['late:resume@14', 'late:suspend@11', 'miner:suspend@2']);
    expect(first.actions.some((a) => a.accountId === HEAVY)).toBe(false);

    const notices = first.notices.map((n) => `${n.recipient.split('@')[0]!.slice(run.length + 1)}:${n.template}`);
    expect(notices.sort()).toEqual([
      'late:abuse-payment-reminder',
      'late:abuse-payment-warning',
      'late:abuse-resumed',
      'late:abuse-suspended',
      'miner:abuse-suspended',
    ]);
    expect(new Set(first.notices.map((n) => n.messageId)).size).toBe(first.notices.length);

    child.process.kill('SIGTERM');
    expect(await child.exited, child.output()).toBe(0);
    firstDb = db;
  });

  it('a replay of every input from the start, into empty tables, publishes identical decisions', async () => {
    expect(first).toBeDefined();
    const db = await createTestDatabase(endpoints.DATABASE_URL);
    databases.push(db);
    const child = startAbuse(db, 'replay');
    await settle(db, child);
    const replay = await published('replay');
    expect(Object.fromEntries(replay.decisions)).toEqual(Object.fromEntries(first.decisions));
    const ids = (p: Published) => p.notices.map((n) => n.messageId).sort();
    expect(ids(replay)).toEqual(ids(first));
    const acts = (p: Published) => p.actions.map((a) => JSON.stringify(a)).sort();
    expect(acts(replay)).toEqual(acts(first));
    child.process.kill('SIGTERM');
    expect(await child.exited, child.output()).toBe(0);
  });

  it('tally abuse explain shows the evidence; tally abuse clear resumes the miner once the open hour closes', async () => {
    expect(firstDb).toBeDefined();
    const cli = (command: typeof abuseExplain, argv: string[]) => {
      let out = '';
      let err = '';
      const io = {
        out: (t: string) => void (out += t),
        err: (t: string) => void (err += t),
        env: { ...process.env, DATABASE_URL: endpoints.DATABASE_URL, ABUSE_DB_SCHEMA: firstDb.schema },
      };
      return command.run(argv, io).then((code) => ({ code, out, err }));
    };
    const explained = await cli(abuseExplain, [MINER]);
    expect(explained.code, explained.err).toBe(0);
    expect(explained.out).toContain(`account ${MINER}: suspended since`);
    expect(explained.out).toMatch(/watch -> suspended {2}mining on free credit: 3 hours near full vCPU/);
    expect(explained.out).toContain('    cpuRatio = 0.99');

    const cleared = await cli(abuseClear, [MINER, '--reason', 'a research project we sponsor', '--by', 'ops']);
    expect(cleared.code, cleared.err).toBe(0);
    // The same abuse (its group, its tables) comes back and reads on from its stored offsets; two more hours close.
    const child = startAbuse(firstDb, 'first');
    for (let hour = HOURS; hour < HOURS + 2; hour += 1) {
      const u = usage(HEAVY, 'gpu', 'g1.large', hour, '100');
      await send(inputs.usage, [{ key: usageKey(u.instanceId, u.hourStart), value: u }]);
    }
    const done = await eventually(
      async () => {
        const row = await firstDb.pool.query<{ status: string }>(
          'SELECT status FROM abuse_states WHERE account_id = $1',
          [MINER],
        );
        const outbox = await firstDb.pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox');
        return row.rows[0]?.status === 'cleared' && outbox.rows[0]?.n === '0';
      },
      60_000,
      300,
    );
    expect(done, child.output()).toBe(true);
    const after = await published('first');
    expect(after.decisions.get(MINER)?.status).toBe('cleared');
    expect(after.decisions.get(MINER)?.reason).toBe('cleared by ops: a research project we sponsor');
    expect(after.actions.filter((a) => a.accountId === MINER).map((a) => a.action)).toEqual(['suspend', 'resume']);
    // Nothing decided before was decided again: each action once.
    expect(after.actions.length).toBe(first.actions.length + 1);
    child.process.kill('SIGTERM');
    expect(await child.exited, child.output()).toBe(0);
  });
});
