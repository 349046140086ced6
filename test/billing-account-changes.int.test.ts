/**
 * Billing end to end when an account changes (services/billing README, "Account changes"), over real Kafka, registry
 * and PostgreSQL, billing as a child process whose clock is set to each phase's date:
 *
 * 1. January in UTC and USD is finalized.
 * 2. The time zone moves to America/New_York; February's usage (its first hours are still January in New York)
 *    and late January usage arrive: February starts where January ended, January's late hours are adjusted on it.
 * 3. The currency moves to JPY and the USD price is republished under its key; March's usage and late January and
 *    February usage arrive: March is billed in JPY, the late hours of the USD months on a separate USD adjustment
 *    invoice, never converted, at the price those months were billed with.
 *
 * Every hour produced is billed exactly once over all finalized invoices, each in its month's currency.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { InvoiceDraft } from '@tally/billing';
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import {
  applyTopics,
  createIdempotentProducer,
  createKafka,
  createRegistry,
  deadLetterTopicOf,
  registerSchemas,
  topics,
  typedTopics,
  valueCodec,
  type TopicSpec,
  type TypedTopic,
} from '@tally/kafka';
import { createLogger } from '@tally/log';
import { usageKey, type Account, type PriceEntry, type UsageHourly } from '@tally/records';
import { eventually, startNodeChild, type ChildHandle } from '@tally/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const endpoints = loadConfig(connectionEnv);
const log = createLogger('billing-changes-e2e', 'warn');
const kafka = createKafka('billing-changes-e2e', endpoints.KAFKA_BROKERS, log);
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const schemasDir = fileURLToPath(new URL('../schemas', import.meta.url));
const billingMain = fileURLToPath(new URL('../services/billing/src/main.ts', import.meta.url));
const run = `c${randomBytes(4).toString('hex')}`;
const children: ChildHandle[] = [];
let db: TestDatabase;

const HOUR = 3_600_000;
const iso = (s: string) => Date.parse(s);
const ACCOUNT = `${run}-acct`;
const account = (timeZone: string, currency: string): Account => ({
  accountId: ACCOUNT,
  name: 'Changes',
  email: 'changes@example.com',
  plan: 'paying',
  freeCredit: '0',
  currency,
  timeZone,
  createdAt: iso('2025-01-01T00:00:00Z'),
  address: null,
  unsubscribed: false,
});
const Y2025 = iso('2025-01-01T00:00:00Z');
const prices: PriceEntry[] = [
  { sku: 'compute.g1.large', currency: 'USD', effectiveFrom: Y2025, unit: 'hour', model: perUnit('1.25') },
  { sku: 'compute.g1.large', currency: 'JPY', effectiveFrom: Y2025, unit: 'hour', model: perUnit('190') },
];
function perUnit(unitPrice: string) {
  return { kind: 'per_unit' as const, unitPrice };
}

/** One g1.large usage value per hour of [from, to). */
function hours(instanceId: string, from: string, to: string): UsageHourly[] {
  const list: UsageHourly[] = [];
  for (let t = iso(from); t < iso(to); t += HOUR) {
    list.push({
      instanceId: `${run}-${instanceId}`,
      accountId: ACCOUNT,
      instanceType: 'g1.large',
      hourStart: t,
      runningSeconds: 3600,
      rxBytes: 0,
      txBytes: 0,
      rxPackets: 0,
      txPackets: 0,
      cpuSeconds: '0',
      counted: [],
      version: 1,
    });
  }
  return list;
}

// ---------------------------------------------------------------------------------------------------- plumbing

interface Specs {
  usage: TopicSpec;
  prices: TopicSpec;
  accounts: TopicSpec;
  payments: TopicSpec;
  hourly: TopicSpec;
}
let specs: Specs;

async function createTopics(): Promise<Specs> {
  const named = (spec: TopicSpec, suffix: string): TopicSpec => ({ ...spec, name: `test.${run}.${suffix}` });
  const s: Specs = {
    usage: named(topics.usageHourly, 'usage'),
    prices: named(topics.prices, 'prices'),
    accounts: named(topics.accounts, 'accounts'),
    payments: named(topics.payments, 'payments'),
    hourly: named(topics.billingHourly, 'billing-hourly'),
  };
  const all = [s.usage, s.prices, s.accounts, s.payments, s.hourly];
  const deadLetters = [s.usage, s.prices, s.accounts, s.payments].map((spec): TopicSpec => ({
    name: deadLetterTopicOf(spec.name),
    partitions: 1,
    cleanupPolicy: 'delete',
    key: 'k',
  }));
  const admin = kafka.admin();
  await admin.connect();
  try {
    await applyTopics(admin, [...all, ...deadLetters]);
  } finally {
    await admin.disconnect();
  }
  await registerSchemas(registry, schemasDir, all);
  return s;
}

/** Sends all records in one request, so billing never sees (and finalizes on) half a phase. */
async function produce<T>(typed: TypedTopic<T>, name: string, records: readonly { key: string; value: T }[]) {
  const codec = valueCodec(registry, { ...typed, spec: { ...typed.spec, name } });
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  try {
    const messages = [];
    for (const r of records) messages.push({ key: r.key, value: await codec.encode(r.value) });
    await producer.send({ topic: name, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

const sendUsage = (records: UsageHourly[]) =>
  produce(
    typedTopics.usageHourly,
    specs.usage.name,
    records.map((u) => ({ key: usageKey(u.instanceId, u.hourStart), value: u })),
  );
const sendPrices = (entries: readonly PriceEntry[]) =>
  produce(
    typedTopics.prices,
    specs.prices.name,
    entries.map((p) => ({ key: `${p.sku}|${p.currency}|${new Date(p.effectiveFrom).toISOString()}`, value: p })),
  );
const sendAccount = (a: Account) =>
  produce(typedTopics.accounts, specs.accounts.name, [{ key: a.accountId, value: a }]);

/** Billing as if it were `now`, until it has finalized `count` invoices in all; then stopped. */
async function billUntil(now: string, count: number): Promise<StoredInvoice[]> {
  const child = startNodeChild(billingMain, {
    DB_SCHEMA: db.schema,
    BILLING_GROUP: `billing-${run}`,
    BILLING_USAGE_TOPIC: specs.usage.name,
    // No metering feeds this billing: the finalizer waits for no traffic.samples.
    BILLING_FINALIZE_WAIT_FOR_METERING: 'false',
    BILLING_PRICES_TOPIC: specs.prices.name,
    BILLING_ACCOUNTS_TOPIC: specs.accounts.name,
    BILLING_PAYMENTS_TOPIC: specs.payments.name,
    BILLING_HOURLY_TOPIC: specs.hourly.name,
    BILLING_GRACE_HOURS: '1',
    BILLING_CLOCK_OFFSET_MS: String(iso(now) - Date.now()),
    BILLING_FINALIZE_INTERVAL_MS: '300',
    BILLING_DRAFT_REFRESH_MS: '200',
    BILLING_SESSION_TIMEOUT_MS: '6000',
    BILLING_METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
  });
  children.push(child);
  const done = await eventually(async () => (await finalized()).length >= count, 40_000, 300);
  child.process.kill('SIGTERM');
  expect(await child.exited, child.output()).toBe(0);
  expect(done, `finalized ${(await finalized()).length} of ${count}\n${child.output()}`).toBe(true);
  return finalized();
}

interface StoredInvoice {
  month: string;
  kind: string;
  currency: string;
  number: string;
  content: InvoiceDraft;
}

async function finalized(): Promise<StoredInvoice[]> {
  const result = await db.pool.query<StoredInvoice>(
    `SELECT month, kind, currency, number, content FROM invoices WHERE status = 'finalized' ORDER BY number`,
  );
  return result.rows;
}

const lines = (i: StoredInvoice) => i.content.lines.map((l) => [l.kind, l.adjustsMonth, l.quantity, l.roundedAmount]);

// ---------------------------------------------------------------------------------------------------- test

beforeAll(async () => {
  specs = await createTopics();
  db = await createTestDatabase(endpoints.DATABASE_URL);
  await sendPrices(prices);
}, 60_000);

afterAll(async () => {
  for (const child of children) child.process.kill('SIGKILL');
  await db?.drop();
});

describe('billing when an account changes its time zone and currency', () => {
  it('bills every hour exactly once, each month in its own time zone and currency', async () => {
    const produced: UsageHourly[] = [];
    const send = async (records: UsageHourly[]) => {
      produced.push(...records);
      await sendUsage(records);
    };

    // 1. January, UTC, USD.
    await sendAccount(account('UTC', 'USD'));
    await send(hours('i-1', '2025-01-01T00:00:00Z', '2025-02-01T00:00:00Z'));
    const [january] = await billUntil('2025-02-03T00:00:00Z', 1);
    expect(january).toMatchObject({ month: '2025-01', kind: 'regular', currency: 'USD' });
    expect(lines(january!)).toEqual([['usage', null, '744', '930.00']]);

    // 2. New York from February on; February's first five hours are January there, but January is closed in UTC.
    await sendAccount(account('America/New_York', 'USD'));
    await send([
      ...hours('i-1', '2025-02-01T00:00:00Z', '2025-03-01T05:00:00Z'),
      ...hours('i-late', '2025-01-10T00:00:00Z', '2025-01-10T03:00:00Z'),
    ]);
    const second = await billUntil('2025-03-03T00:00:00Z', 2);
    const february = second[1]!;
    expect(february).toMatchObject({ month: '2025-02', kind: 'regular', currency: 'USD' });
    expect(february.content).toMatchObject({
      timeZone: 'America/New_York',
      periodStart: iso('2025-02-01T00:00:00Z'),
      periodEnd: iso('2025-03-01T05:00:00Z'),
    });
    expect(lines(february)).toEqual([
      ['usage', null, '677', '846.25'],
      ['adjustment', '2025-01', '3', '3.75'],
    ]);

    // 3. JPY from March on, with late hours of January and February (billed in USD), and the USD price republished
    //    under its key: the finalized months' adjustments keep the price they were billed with.
    await sendAccount(account('America/New_York', 'JPY'));
    await sendPrices([{ ...prices[0]!, model: perUnit('9.99') }]);
    await send([
      ...hours('i-1', '2025-03-01T05:00:00Z', '2025-04-01T04:00:00Z'),
      ...hours('i-late', '2025-01-11T00:00:00Z', '2025-01-11T02:00:00Z'),
      ...hours('i-late', '2025-02-10T00:00:00Z', '2025-02-10T01:00:00Z'),
    ]);
    const all = await billUntil('2025-04-03T00:00:00Z', 4);
    const march = all.slice(2);
    expect(march.map((i) => [i.month, i.kind, i.currency])).toEqual([
      ['2025-03', 'regular', 'JPY'],
      ['2025-03', 'adjustment', 'USD'],
    ]);
    expect(lines(march[0]!)).toEqual([['usage', null, '743', '141170']]);
    expect(lines(march[1]!)).toEqual([
      ['adjustment', '2025-01', '2', '2.50'],
      ['adjustment', '2025-02', '1', '1.25'],
    ]);
    // Earlier invoices are untouched, numbers are gapless.
    expect(all.slice(0, 2)).toEqual(second);
    expect(all.map((i) => i.number)).toEqual([1, 2, 3, 4].map((n) => `INV-2025-${String(n).padStart(6, '0')}`));

    // Every hour exactly once: the billed hours of each month (usage lines plus adjustments for it) are its hours,
    // and every line is in the currency its month was billed in.
    const billed = new Map<string, number>();
    for (const invoice of all) {
      for (const l of invoice.content.lines) {
        const month = l.adjustsMonth ?? invoice.month;
        billed.set(month, (billed.get(month) ?? 0) + Number(l.quantity));
        expect(l.priceEntryKey!.split('|')[1], `${invoice.number} ${month}`).toBe(month < '2025-03' ? 'USD' : 'JPY');
      }
    }
    expect(Object.fromEntries(billed)).toEqual({ '2025-01': 744 + 3 + 2, '2025-02': 677 + 1, '2025-03': 743 });
    expect([...billed.values()].reduce((a, b) => a + b, 0)).toBe(
      new Set(produced.map((u) => `${u.instanceId}|${u.hourStart}`)).size,
    );
  }, 150_000);
});
