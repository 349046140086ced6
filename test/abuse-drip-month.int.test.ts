/**
 * A simulated month (July 2026) of a small cloud's customers through abuse, drip and the mailer, each a child
 * process on the real broker, registry and PostgreSQL, the mails received by a real SMTP server started here.
 *
 * Inputs: the agent simulator's scenario (services/agent/src/simulate): signups, conversions, a burner, a late
 * starter, an unsubscribed trial, a leaver, a miner on free credit, a CPU-heavy paying customer and a late payer.
 * abuse and drip are fed directly with what they consume (accounts, inventory.instances, usage.hourly,
 * billing.hourly, invoices, payments) produced from the scenario's ground truth, not through agent → metering →
 * billing: a month of samples through metering and billing would take minutes, and pipeline.int.test.ts covers that
 * part. The month is published day by day, each day's records of every topic in one request, event-time order.
 *
 * While the days arrive, abuse, drip and the mailer are each SIGKILLed at seeded random points and restarted.
 * Then: the miner is suspended within 6 hours of starting; the heavy paying customer never is; the late payer goes
 * reminder → warning → suspension → resumed after paying; every account receives each expected mail (drip's from
 * the scenario's oracle, abuse's notices) exactly once as a distinct notification, and counting raw SMTP deliveries,
 * only a mail in flight when the mailer was killed may come twice (same Message-ID), at most one per kill.
 * Finally abuse and drip are replayed the operator's way (`tally replay` covers metering and billing only): new group
 * ids and empty tables in fresh schemas, same topics. They must publish identical decisions and send no mail again.
 *
 * Duration: 120 s and 195 s in two runs on the shared 2-core machine (most of it process start-up and the consumer
 * groups' rejoins after each SIGKILL, ~6 s session timeout each); over the 90 s aimed at.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DRIP_RULES, expectedDripMails, scenario, type Persona } from '@tally/agent';
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
  HOUR_MS,
  invoiceKey,
  usageKey,
  type AbuseDecision,
  type AccountAction,
  type EmailNotification,
} from '@tally/records';
import { eventually, startNodeChild, type ChildHandle } from '@tally/testing';
import type { Message, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpCapture, type SmtpCapture } from './src/smtp-capture.ts';
import {
  abuseTopicEnv,
  createFreshTopics,
  dripTopicEnv,
  freshTopic,
  mailerTopicEnv,
  quickAbuseEnv,
  quickDripEnv,
  quickMailerEnv,
} from './src/abuse-drip-topics.ts';
import { Supervised } from './src/supervised.ts';

const endpoints = loadConfig(connectionEnv);
const log = createLogger('abuse-drip-month-test', 'warn');
const kafka = createKafka('abuse-drip-month-test', endpoints.KAFKA_BROKERS, log);
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const entry = (service: string) => fileURLToPath(new URL(`../services/${service}/src/main.ts`, import.meta.url));
const run = `adm${randomBytes(4).toString('hex')}`;
/** The seed of the scenario and of the kill points: E2E_SEED replays a failed run. */
const SEED = Number(process.env['E2E_SEED'] ?? Number.parseInt(run.slice(3), 16) % 1_000_000);
const FROM = Date.UTC(2026, 6, 1);
const month = scenario({ seed: SEED, from: FROM, prefix: `${run}-` });
const FIRST = FROM / HOUR_MS;
const LAST = month.to / HOUR_MS;
const LATENESS = 2;
/** Both deciders close every hour below this once the last day is in: the latest hour less the lateness. */
const CLOSED = LAST - 1 - LATENESS;
const DOMAIN = 'month.test.example';

const topics = {
  accounts: freshTopic(run, typedTopics.accounts, 'accounts', 2),
  instances: freshTopic(run, typedTopics.instances, 'instances', 2),
  usage: freshTopic(run, typedTopics.usageHourly, 'usage', 2),
  hourly: freshTopic(run, typedTopics.billingHourly, 'hourly', 2),
  payments: freshTopic(run, typedTopics.payments, 'payments', 2),
  invoices: freshTopic(run, typedTopics.invoices, 'invoices', 2),
  notices: freshTopic(run, typedTopics.emailNotifications, 'email', 2),
  decisions: freshTopic(run, typedTopics.abuseDecisions, 'decisions', 2),
  actions: freshTopic(run, typedTopics.accountActions, 'actions', 2),
};
const inputs = [topics.accounts, topics.instances, topics.usage, topics.hourly, topics.payments, topics.invoices];

/** mulberry32 on the seed: the kill points are random but replayable. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), state | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

let producer: Producer;
let smtp: SmtpCapture;
const databases: TestDatabase[] = [];
const supervised: Supervised[] = [];
const children: ChildHandle[] = [];
let mailerDb: TestDatabase;

function track(child: ChildHandle): ChildHandle {
  children.push(child);
  return child;
}

function startAbuse(db: TestDatabase, group: string): ChildHandle {
  return track(
    startNodeChild(entry('abuse'), { DB_SCHEMA: db.schema, ...abuseTopicEnv(group, topics), ...quickAbuseEnv }),
  );
}

function startDrip(db: TestDatabase, prefix: string): ChildHandle {
  return track(
    startNodeChild(entry('drip'), { DB_SCHEMA: db.schema, ...dripTopicEnv(prefix, topics), ...quickDripEnv }),
  );
}

function startMailer(): ChildHandle {
  return track(
    startNodeChild(entry('mailer'), {
      DB_SCHEMA: mailerDb.schema,
      ...mailerTopicEnv(`${run}-mailer`, topics.notices),
      ...quickMailerEnv(smtp.port),
      MAIL_MESSAGE_ID_DOMAIN: DOMAIN,
    }),
  );
}

async function fresh(): Promise<TestDatabase> {
  const db = await createTestDatabase(endpoints.DATABASE_URL);
  databases.push(db);
  return db;
}

beforeAll(async () => {
  await createFreshTopics(kafka, registry, Object.values(topics), [...inputs, topics.notices]);
  producer = createIdempotentProducer(kafka);
  await producer.connect();
  smtp = await startSmtpCapture();
  mailerDb = await fresh();
});

afterAll(async () => {
  for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
  await producer?.disconnect();
  await smtp?.close();
  for (const db of databases) await db.drop();
});

/** Each record of the scenario with its topic, key and event time (when the pipeline would have published it). */
async function dayMessages(from: number, to: number): Promise<{ topic: string; messages: Message[] }[]> {
  const pick = async <T>(
    topic: TypedTopic<T>,
    records: readonly T[],
    at: (r: T) => number,
    key: (r: T) => string,
  ): Promise<{ topic: string; messages: Message[] }> => {
    const codec = valueCodec(registry, topic);
    const messages: Message[] = [];
    for (const r of records) {
      const t = at(r);
      if (t >= from && t < to) messages.push({ key: key(r), value: await codec.encode(r) });
    }
    return { topic: topic.spec.name, messages };
  };
  // Reference and payment facts first, the clocks (usage.hourly, billing.hourly) last, in one request.
  const batches = [
    await pick(
      topics.accounts,
      month.accounts.map((a) => a.account),
      (a) => a.createdAt,
      (a) => a.accountId,
    ),
    await pick(
      topics.instances,
      month.instances.map((i) => i.record),
      (i) => i.createdAt,
      (i) => i.instanceId,
    ),
    await pick(
      topics.payments,
      month.payments,
      (p) => p.at,
      (p) => p.accountId,
    ),
    await pick(
      topics.invoices,
      month.invoices,
      (i) => i.finalizedAt,
      (i) => invoiceKey(i.accountId, i.month, i.currency),
    ),
    await pick(
      topics.usage,
      month.usage,
      (u) => u.hourStart,
      (u) => usageKey(u.instanceId, u.hourStart),
    ),
    await pick(
      topics.hourly,
      month.charges,
      (c) => c.hourStart,
      (c) => billingKey(c.accountId, c.hourStart),
    ),
  ];
  return batches.filter((b) => b.messages.length > 0);
}

/** Every stored offset of these groups (prefix-<suffix>) at its topic's end. */
async function caughtUp(db: TestDatabase, groups: readonly (readonly [string, string])[]): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const [group, topic] of groups) {
      const ends = await admin.fetchTopicOffsets(topic);
      const stored = await db.pool.query<{ partition: number; next_offset: string }>(
        'SELECT partition, next_offset FROM consumer_offsets WHERE group_id = $1 AND topic = $2',
        [group, topic],
      );
      const next = new Map(stored.rows.map((row) => [row.partition, BigInt(row.next_offset)]));
      if (ends.some((end) => BigInt(end.high) > 0n && (next.get(end.partition) ?? -1n) < BigInt(end.high)))
        return false;
    }
    return true;
  } finally {
    await admin.disconnect();
  }
}

const count = async (db: TestDatabase, sql: string, params: unknown[] = []) =>
  Number((await db.pool.query<{ n: string }>(sql, params)).rows[0]?.n ?? 0);

async function abuseSettled(db: TestDatabase): Promise<boolean> {
  const mark = await count(db, 'SELECT hour AS n FROM abuse_watermark');
  if (mark < CLOSED) return false;
  return (
    (await count(db, 'SELECT count(*) AS n FROM outbox')) === 0 &&
    (await count(db, 'SELECT count(*) AS n FROM abuse_events WHERE hour < $1', [CLOSED])) === 0
  );
}

async function dripSettled(db: TestDatabase): Promise<boolean> {
  const mark = await count(db, 'SELECT watermark AS n FROM drip_watermark');
  if (mark < CLOSED) return false;
  return (
    (await count(db, 'SELECT count(*) AS n FROM outbox')) === 0 &&
    (await count(db, 'SELECT count(*) AS n FROM drip_events WHERE hour < $1', [CLOSED])) === 0
  );
}

const mailerCaughtUp = () => caughtUp(mailerDb, [[`${run}-mailer`, topics.notices.spec.name]]);

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  if (!(await eventually(check, timeoutMs, 300))) {
    const tails = supervised.map((s) => `--- ${s.name}\n${s.child.output().slice(-3_000)}`).join('\n');
    throw new Error(`timed out waiting for ${what}\n${tails}`);
  }
}

/** A topic's records from `after` (per partition offsets; none: from the start), decoded. */
async function read<T>(topic: TypedTopic<T>, after?: Map<number, bigint>): Promise<T[]> {
  const codec = valueCodec(registry, topic);
  const records = await readToEnd(kafka, topic.spec.name);
  records.sort((a, b) => a.partition - b.partition || Number(BigInt(a.message.offset) - BigInt(b.message.offset)));
  const kept = records.filter((r) => BigInt(r.message.offset) >= (after?.get(r.partition) ?? 0n));
  return Promise.all(kept.map((r) => codec.decode(r.message.value)));
}

async function endOffsets(topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  } finally {
    await admin.disconnect();
  }
}

function latestDecisions(decisions: readonly AbuseDecision[]): Map<string, AbuseDecision> {
  const latest = new Map<string, AbuseDecision>();
  for (const d of decisions) {
    const seen = latest.get(d.accountId);
    if (seen === undefined || seen.version < d.version) latest.set(d.accountId, d);
  }
  return latest;
}

const ids = (persona: Persona) => month.accounts.filter((a) => a.persona === persona).map((a) => a.account.accountId);
const only = (persona: Persona) => ids(persona)[0]!;
const path = (d: AbuseDecision | undefined) => d?.history.map((h) => `${h.to}@${h.hourStart / HOUR_MS - FIRST}`) ?? [];

describe(`a month of abuse, drip and mails (seed ${SEED})`, () => {
  let firstDecisions: Map<string, AbuseDecision>;
  let firstDripDb: TestDatabase;
  let mailerKills = 0;

  it('suspends the miner, spares the heavy customer, chases the late payer, mails each account each mail once, under SIGKILLs', async () => {
    const random = seeded(SEED);
    const abuseDb = await fresh();
    firstDripDb = await fresh();

    const days = [];
    for (let day = 0; day < 31; day += 1)
      days.push(await dayMessages(day === 0 ? 0 : FROM + day * 24 * HOUR_MS, FROM + (day + 1) * 24 * HOUR_MS));
    const abuse = new Supervised('abuse', () => startAbuse(abuseDb, `${run}-abuse`));
    const drip = new Supervised('drip', () => startDrip(firstDripDb, `${run}-drip`));
    const mailer = new Supervised('mailer', startMailer);
    supervised.push(abuse, drip, mailer);
    await until(
      'the three services to start',
      () =>
        Promise.resolve(
          ['abuse', 'drip', 'mailer'].every((name, i) => supervised[i]!.child.output().includes(`${name} started`)),
        ),
      90_000,
    );
    // Each service is SIGKILLed twice at seeded points of its own progress (abuse and drip: the hour their watermark
    // passed; the mailer: the mails it recorded as sent), and restarted at once, while the days arrive.
    const expectedMails = [...expectedDripMails(month, CLOSED).values()].flat().length + 5;
    const marks = (low: number, high: number) =>
      [low + Math.floor(random() * (high - low)), low + Math.floor(random() * (high - low))].sort((x, y) => x - y);
    const plan = [
      {
        service: abuse,
        marks: marks(48, 700),
        progress: () => count(abuseDb, 'SELECT hour - $1 AS n FROM abuse_watermark', [FIRST]),
      },
      {
        service: drip,
        marks: marks(48, 700),
        progress: () => count(firstDripDb, 'SELECT watermark - $1 AS n FROM drip_watermark', [FIRST]),
      },
      {
        service: mailer,
        marks: marks(1, expectedMails - 1),
        progress: () => count(mailerDb, 'SELECT count(*) AS n FROM mailer_sent'),
      },
    ];
    const killedAt: string[] = [];
    let chaosOn = true;
    const chaos = (async () => {
      while (chaosOn) {
        for (const step of plan) {
          const next = step.marks[0];
          if (next === undefined || (await step.progress()) < next) continue;
          step.marks.shift();
          killedAt.push(`${step.service.name}@${next}`);
          await step.service.kill();
        }
        for (const service of supervised) service.keepUp();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const started = Date.now();
    for (const topicMessages of days) {
      await producer.sendBatch({ acks: -1, topicMessages });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const published = Date.now() - started;
    await until(
      'abuse and drip to close the month and the mailer to send everything',
      async () => {
        for (const service of supervised) service.keepUp();
        if (plan.some((step) => step.marks.length > 0)) return false;
        return (await abuseSettled(abuseDb)) && (await dripSettled(firstDripDb)) && (await mailerCaughtUp());
      },
      250_000,
    );
    chaosOn = false;
    await chaos;
    mailerKills = mailer.kills;
    console.log(
      `seed ${SEED}: ${month.accounts.length} accounts, ${month.usage.length} usage hours, ${month.charges.length} charged hours; ` +
        `published in ${published} ms, settled ${Date.now() - started} ms after the first day; ` +
        `SIGKILLs at ${killedAt.join(', ')}; restarts after a crash: ${supervised.map((s) => s.restarts).join('/')}`,
    );

    // Abuse: the three stories, on event time.
    firstDecisions = latestDecisions(await read(topics.decisions));
    const miner = firstDecisions.get(only('miner'));
    expect(miner?.status, abuse.child.output()).toBe('suspended');
    const suspendedAt = miner!.history.find((h) => h.to === 'suspended')!.hourStart / HOUR_MS;
    expect(suspendedAt - month.moments.minerStartHour).toBeLessThan(6);
    const heavy = firstDecisions.get(only('heavy'));
    expect(heavy?.status).toBe('watch');
    expect(heavy!.history.some((h) => h.to === 'suspended' || h.to === 'terminated')).toBe(false);
    const due = Math.floor(month.moments.lateDueAt / HOUR_MS) - FIRST;
    const paid = Math.floor(month.moments.latePaidAt / HOUR_MS) - FIRST;
    expect(path(firstDecisions.get(only('late-payer')))).toEqual([
      `watch@${due + 24}`,
      `warned@${due + 24 + 72}`,
      `suspended@${due + 24 + 72 + 72}`,
      `good@${paid}`,
    ]);
    for (const persona of ['converter', 'burner', 'late-starter', 'never-started', 'unsubscribed', 'leaver'] as const)
      for (const id of ids(persona)) expect(firstDecisions.get(id)?.status ?? 'good', id).toBe('good');
    const actions = (await read(topics.actions)).map(
      (a: AccountAction) => `${a.accountId.slice(run.length + 1)}:${a.action}@${a.hourStart / HOUR_MS - FIRST}`,
    );
    expect(actions.sort()).toEqual(
      [
        `late-payer-0:resume@${paid}`,
        `late-payer-0:suspend@${due + 24 + 72 + 72}`,
        `miner-0:suspend@${suspendedAt - FIRST}`,
      ].sort(),
    );

    // Mails: each expected (account, template, trigger) exactly once as a notification, counted on raw deliveries.
    const dripMails = [...expectedDripMails(month, CLOSED, DEFAULT_DRIP_RULES).values()].flat();
    const abuseMails = [
      `${only('miner')}:abuse-suspended`,
      `${only('late-payer')}:abuse-payment-reminder`,
      `${only('late-payer')}:abuse-payment-warning`,
      `${only('late-payer')}:abuse-suspended`,
      `${only('late-payer')}:abuse-resumed`,
    ];
    const deliveries = smtp.deliveries;
    const distinct = new Map<string, (typeof deliveries)[number][]>();
    for (const d of deliveries) distinct.set(d.notification ?? '', [...(distinct.get(d.notification ?? '') ?? []), d]);
    const dripSent = [...distinct.keys()].filter((id) => id.startsWith('drip.')).sort();
    expect(dripSent).toEqual([...dripMails].sort());
    const abuseSent = [...distinct.values()]
      .filter(([d]) => !d!.notification!.startsWith('drip.'))
      .map(([d]) => `${d!.recipient.split('@')[0]}:${d!.template}`)
      .sort();
    expect(abuseSent).toEqual([...abuseMails].sort());
    // Per account, the raw deliveries: only a mail in flight at a mailer kill may come again, with its Message-ID.
    const resent = [...distinct.values()].filter((copies) => copies.length > 1);
    for (const copies of resent) {
      expect(copies).toHaveLength(2);
      expect(new Set(copies.map((c) => c.messageId)).size).toBe(1);
    }
    expect(resent.length).toBeLessThanOrEqual(mailerKills);
    expect(deliveries.length).toBe(dripMails.length + abuseMails.length + resent.length);
    console.log(
      `mails: ${deliveries.length} SMTP deliveries, ${distinct.size} distinct, ${resent.length} resent after ${mailerKills} mailer kills`,
    );

    await abuse.stop('abuse started');
    await drip.stop('drip started');
    supervised.splice(0, 2);
  }, 400_000);

  it('a replay of abuse and drip from the start (new groups, empty tables) decides the same and sends no mail again', async () => {
    expect(firstDecisions).toBeDefined();
    const before = smtp.deliveries.length;
    const decisionsEnd = await endOffsets(topics.decisions.spec.name);
    const noticesBefore = (await read(topics.notices)).length;
    const started = Date.now();
    const abuseDb = await fresh();
    const dripDb = await fresh();
    const abuse = new Supervised('abuse-replay', () => startAbuse(abuseDb, `${run}-abuse-replay`));
    const drip = new Supervised('drip-replay', () => startDrip(dripDb, `${run}-drip-replay`));
    supervised.push(abuse, drip);
    await until(
      'the replay to close the month and the mailer to read what it asked for',
      async () => (await abuseSettled(abuseDb)) && (await dripSettled(dripDb)) && (await mailerCaughtUp()),
      120_000,
    );
    console.log(`replay settled in ${Date.now() - started} ms`);

    const replayed = latestDecisions(await read(topics.decisions, decisionsEnd));
    expect(Object.fromEntries(replayed)).toEqual(Object.fromEntries(firstDecisions));
    const decided = async (db: TestDatabase) =>
      (
        await db.pool.query<{ account_id: string; decided: string[] }>(
          `SELECT account_id, state->'decided' AS decided FROM drip_accounts ORDER BY account_id COLLATE "C"`,
        )
      ).rows;
    expect(await decided(dripDb)).toEqual(await decided(firstDripDb));
    // The replay asked for its mails again (same ids); the mailer delivered none of them.
    const notices: EmailNotification[] = await read(topics.notices);
    expect(notices.length).toBeGreaterThan(noticesBefore);
    expect(smtp.deliveries.length).toBe(before);
    await abuse.stop('abuse started');
    await drip.stop('drip started');
  }, 200_000);
});
