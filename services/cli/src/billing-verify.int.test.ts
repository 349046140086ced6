/**
 * `tally billing verify` against billing itself: billing runs as a child process on fresh topics and finalizes
 * March 2025 for two accounts; March usage that arrives after finalization becomes an adjustment on April's invoice.
 * Verify rebuilds both months from the topics alone and finds them equal (exit 0), the late usage being no
 * difference for March; then a finalized invoice altered behind Tally's back (triggers disabled as a superuser
 * would, the content hash recomputed like a careful forger) makes it exit 1 and name that invoice.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { invoiceHash, type InvoiceDraft } from '@tally/billing';
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
import { billingVerify } from './billing-verify.ts';
import { dispatch } from './dispatch.ts';

const endpoints = loadConfig(connectionEnv);
const kafka = createKafka('verify-test', endpoints.KAFKA_BROKERS, createLogger('verify-test', 'warn'));
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const schemasDir = fileURLToPath(new URL('../../../schemas', import.meta.url));
const billingMain = fileURLToPath(new URL('../../billing/src/main.ts', import.meta.url));
const run = `v${randomBytes(4).toString('hex')}`;
const named = (spec: TopicSpec, suffix: string): TopicSpec => ({ ...spec, name: `test.${run}.${suffix}` });
const specs = {
  usage: named(topics.usageHourly, 'usage'),
  prices: named(topics.prices, 'prices'),
  accounts: named(topics.accounts, 'accounts'),
  payments: named(topics.payments, 'payments'),
  hourly: named(topics.billingHourly, 'billing-hourly'),
};
const UTC = (m: number, d: number, h = 0) => Date.UTC(2025, m - 1, d, h);

const accounts: Account[] = [
  {
    accountId: `${run}-usd`,
    name: 'usd',
    email: 'usd@example.com',
    plan: 'paying',
    freeCredit: '0',
    currency: 'USD',
    timeZone: 'UTC',
    createdAt: UTC(1, 1),
    address: null,
    unsubscribed: false,
  },
  {
    accountId: `${run}-eur`,
    name: 'eur',
    email: 'eur@example.com',
    plan: 'trial',
    freeCredit: '5.00',
    currency: 'EUR',
    timeZone: 'Europe/Zurich',
    createdAt: UTC(1, 1),
    address: null,
    unsubscribed: false,
  },
];
const perUnit = (unitPrice: string) => ({ kind: 'per_unit' as const, unitPrice });
const prices: PriceEntry[] = [
  { sku: 'compute.g1.large', currency: 'USD', effectiveFrom: UTC(1, 1), unit: 'hour', model: perUnit('1.25') },
  { sku: 'compute.g1.large', currency: 'EUR', effectiveFrom: UTC(1, 1), unit: 'hour', model: perUnit('1.15') },
  { sku: 'egress.gb', currency: 'USD', effectiveFrom: UTC(1, 1), unit: 'gb', model: perUnit('0.09') },
  { sku: 'egress.gb', currency: 'EUR', effectiveFrom: UTC(1, 1), unit: 'gb', model: perUnit('0.083') },
];
function usage(accountId: string, hourStart: number, txBytes: number, version = 1): UsageHourly {
  return {
    instanceId: `${accountId}-i1`,
    accountId,
    instanceType: 'g1.large',
    hourStart,
    runningSeconds: 3600,
    rxBytes: 0,
    txBytes,
    rxPackets: 0,
    txPackets: 0,
    cpuSeconds: '0',
    counted: [{ interfaceId: 'eth0', slots: Array.from({ length: 120 }, (_, i) => i) }],
    version,
  };
}
const march = accounts.flatMap((a) => Array.from({ length: 12 }, (_, h) => usage(a.accountId, UTC(3, 10, h), 3e9 + h)));

async function produce<T>(typed: TypedTopic<T>, spec: TopicSpec, records: readonly { key: string; value: T }[]) {
  const codec = valueCodec(registry, { ...typed, spec });
  const messages = [];
  for (const r of records) messages.push({ key: r.key, value: await codec.encode(r.value) });
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  await producer.send({ topic: spec.name, acks: -1, messages });
  await producer.disconnect();
}
const produceUsage = (list: UsageHourly[]) =>
  produce(
    typedTopics.usageHourly,
    specs.usage,
    list.map((u) => ({ key: usageKey(u.instanceId, u.hourStart), value: u })),
  );

let db: TestDatabase;
let billing: ChildHandle | undefined;
const env = () => ({
  ...process.env,
  DB_SCHEMA: db.schema,
  BILLING_USAGE_TOPIC: specs.usage.name,
  // No metering feeds this billing: the finalizer waits for no traffic.samples.
  BILLING_FINALIZE_WAIT_FOR_METERING: 'false',
  BILLING_PRICES_TOPIC: specs.prices.name,
  BILLING_ACCOUNTS_TOPIC: specs.accounts.name,
  BILLING_PAYMENTS_TOPIC: specs.payments.name,
  BILLING_HOURLY_TOPIC: specs.hourly.name,
});

async function finalized(): Promise<{ account_id: string; month: string; number: string; content: InvoiceDraft }[]> {
  const result = await db.pool.query<{ account_id: string; month: string; number: string; content: InvoiceDraft }>(
    `SELECT account_id, month, number, content FROM invoices WHERE status = 'finalized' ORDER BY number`,
  );
  return result.rows;
}

async function verify(period: string): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await dispatch([billingVerify], ['billing', 'verify', '--period', period], {
    out: (t) => (out += t),
    err: () => undefined,
    env: env(),
  });
  return { code, out };
}

beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
  const all = Object.values(specs);
  const admin = kafka.admin();
  await admin.connect();
  await applyTopics(admin, [
    ...all,
    ...[specs.usage, specs.prices, specs.accounts, specs.payments].map((s): TopicSpec => ({
      name: deadLetterTopicOf(s.name),
      partitions: 1,
      cleanupPolicy: 'delete',
      key: 'k',
    })),
  ]);
  await admin.disconnect();
  await registerSchemas(registry, schemasDir, all);
  await produce(
    typedTopics.accounts,
    specs.accounts,
    accounts.map((a) => ({ key: a.accountId, value: a })),
  );
  await produce(
    typedTopics.prices,
    specs.prices,
    prices.map((p) => ({ key: `${p.sku}|${p.currency}|${new Date(p.effectiveFrom).toISOString()}`, value: p })),
  );
  await produceUsage(march);
}, 60_000);

afterAll(async () => {
  billing?.process.kill('SIGKILL');
  await db.drop();
  const admin = kafka.admin();
  await admin.connect();
  const mine = (await admin.listTopics()).filter((t) => t.startsWith(`test.${run}.`));
  await admin.deleteTopics({ topics: mine }).catch(() => undefined);
  await admin.disconnect();
});

describe('tally billing verify', () => {
  it('passes on months billing finalized, late usage included, and names an invoice altered behind its back', async () => {
    billing = startNodeChild(billingMain, {
      ...env(),
      BILLING_GROUP: `billing-${run}`,
      BILLING_GRACE_HOURS: '1',
      BILLING_FINALIZE_INTERVAL_MS: '300',
      BILLING_DRAFT_REFRESH_MS: '200',
      BILLING_METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
    });
    const child = billing;
    expect(await eventually(async () => (await finalized()).length >= 2, 60_000), child.output()).toBe(true);
    // Late: two more March hours of the USD account, after March was finalized: an adjustment on April's invoice.
    const usd = accounts[0]!.accountId;
    await produceUsage([usage(usd, UTC(3, 20), 1e9), usage(usd, UTC(3, 20, 1), 1e9)]);
    expect(await eventually(async () => (await finalized()).length >= 3, 60_000), child.output()).toBe(true);
    child.process.kill('SIGTERM');
    await child.exited;
    const invoices = await finalized();
    expect(invoices.map((i) => `${i.account_id} ${i.month}`).sort()).toEqual(
      [`${accounts[1]!.accountId} 2025-03`, `${usd} 2025-03`, `${usd} 2025-04`].sort(),
    );
    expect(
      invoices.find((i) => i.month === '2025-04')!.content.lines.map((l) => [l.kind, l.adjustsMonth]),
    ).toContainEqual(['adjustment', '2025-03']);

    const ok = await verify('2025-03');
    expect(ok.out).toBe('2025-03: all 2 finalized invoices equal their rebuild from the topics\n');
    expect(ok.code).toBe(0);
    const april = await verify('2025-04');
    expect(april.out).toBe('2025-04: all 1 finalized invoices equal their rebuild from the topics\n');
    expect(april.code).toBe(0);

    // Behind Tally's back: 10.00 off the EUR invoice's total, its hash recomputed to match.
    const eur = invoices.find((i) => i.account_id === accounts[1]!.accountId)!;
    const forged: InvoiceDraft = { ...eur.content, total: (Number(eur.content.total) - 10).toFixed(2) };
    await db.pool.query('ALTER TABLE invoices DISABLE TRIGGER invoices_finalized_immutable');
    await db.pool.query(
      'UPDATE invoices SET content = $1, content_hash = $2, total = $3 WHERE account_id = $4 AND month = $5',
      [JSON.stringify(forged), invoiceHash(forged), forged.total, eur.account_id, '2025-03'],
    );
    await db.pool.query('ALTER TABLE invoices ENABLE TRIGGER invoices_finalized_immutable');

    const caught = await verify('2025-03');
    expect(caught.code).toBe(1);
    expect(caught.out).toContain(`DIFFERENT ${eur.number} account ${eur.account_id} 2025-03\n`);
    expect(caught.out).toContain(`  total: stored ${forged.total}, rebuilt ${eur.content.total}\n`);
    expect(caught.out).toContain('2025-03: 1 of 2 invoices differ (2 finalized compared)\n');
    expect(caught.out).not.toContain(`account ${usd} 2025-03`);
  }, 150_000);
});
