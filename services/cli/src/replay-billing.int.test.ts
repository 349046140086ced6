/**
 * `tally replay billing` with the billing service as a child process, on real Kafka, registry and PostgreSQL.
 * Two accounts get February 2025 usage in two batches produced at different times; billing finalizes February.
 * Then: a replay refused while billing runs; a dry run that changes nothing; a replay from the second batch's time
 * that deletes exactly the usage rows its records cover, after which billing rebuilds them and a late correction of
 * a February hour becomes an adjustment on a new invoice; a replay from the earliest offsets that rebuilds all
 * usage. Through all of it the finalized invoices stay byte-identical and the invoice counters unchanged.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { InvoiceDraft } from '@tally/billing';
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, loadOffsets, type TestDatabase } from '@tally/db';
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
import type { CommandIo } from './command.ts';
import { dispatch } from './dispatch.ts';
import { replay } from './replay.ts';

const endpoints = loadConfig(connectionEnv);
const log = createLogger('replay-billing-test', 'warn');
const kafka = createKafka('replay-billing-test', endpoints.KAFKA_BROKERS, log);
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const schemasDir = fileURLToPath(new URL('../../../schemas', import.meta.url));
const billingMain = fileURLToPath(new URL('../../billing/src/main.ts', import.meta.url));
const run = `rb${randomBytes(4).toString('hex')}`;
const group = `billing-${run}`;
const children: ChildHandle[] = [];

const named = (spec: TopicSpec, suffix: string, partitions: number): TopicSpec => ({
  ...spec,
  name: `test.${run}.${suffix}`,
  partitions,
});
const specs = {
  usage: named(topics.usageHourly, 'usage', 2),
  prices: named(topics.prices, 'prices', 1),
  accounts: named(topics.accounts, 'accounts', 1),
  payments: named(topics.payments, 'payments', 1),
  hourly: named(topics.billingHourly, 'hourly', 1),
};

const HOUR = 3_600_000;
const FEB = Date.UTC(2025, 1, 3);
const MINUTE = 60_000;
// When the two batches were produced (record timestamps); the replay by time starts between them.
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE;
const BATCH_1_AT = NOW - 20 * MINUTE;
const BATCH_2_AT = NOW - 10 * MINUTE;

const account = (name: string): Account => ({
  accountId: `${run}-${name}`,
  name,
  email: `${name}@example.com`,
  plan: 'paying',
  freeCredit: '0',
  currency: 'USD',
  timeZone: 'UTC',
  createdAt: Date.UTC(2025, 0, 1),
  address: null,
  unsubscribed: false,
});
const accounts = [account('a'), account('b')];
const price: PriceEntry = {
  sku: 'compute.s1.small',
  currency: 'USD',
  effectiveFrom: Date.UTC(2025, 0, 1),
  unit: 'hour',
  model: { kind: 'per_unit', unitPrice: '0.0104' },
};

function usage(instance: string, accountId: string, hour: number, seconds: number, version: number): UsageHourly {
  return {
    instanceId: `${run}-${instance}`,
    accountId,
    instanceType: 's1.small',
    hourStart: FEB + hour * HOUR,
    runningSeconds: seconds,
    rxBytes: 0,
    txBytes: 0,
    rxPackets: 0,
    txPackets: 0,
    cpuSeconds: '0',
    counted: [{ interfaceId: 'eth0', slots: Array.from({ length: seconds / 30 }, (_, i) => i) }],
    version,
  };
}
const [A, B] = accounts.map((a) => a.accountId) as [string, string];
const batch1 = [usage('i1', A, 0, 1800, 60), usage('i1', A, 1, 3600, 120), usage('i2', B, 0, 3600, 120)];
const batch2 = [usage('i1', A, 5, 3600, 120), usage('i2', B, 5, 1200, 40), usage('i2', B, 6, 3600, 120)];
// A late correction of a February hour that was already billed: 0.5 h more.
const correction = usage('i1', A, 0, 3600, 120);

let db: TestDatabase;
let env: NodeJS.ProcessEnv;

async function produce<T>(typed: TypedTopic<T>, spec: TopicSpec, records: { key: string; value: T }[], at: number) {
  const codec = valueCodec(registry, { ...typed, spec });
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const messages = [];
  for (const r of records) messages.push({ key: r.key, value: await codec.encode(r.value), timestamp: String(at) });
  await producer.send({ topic: spec.name, acks: -1, messages });
  await producer.disconnect();
}

const usageRecords = (values: UsageHourly[]) =>
  values.map((u) => ({ key: usageKey(u.instanceId, u.hourStart), value: u }));

function startBilling(): ChildHandle {
  const child = startNodeChild(billingMain, {
    DB_SCHEMA: db.schema,
    BILLING_MIGRATE: 'false',
    BILLING_GROUP: group,
    BILLING_USAGE_TOPIC: specs.usage.name,
    // No metering feeds this billing: the finalizer waits for no traffic.samples.
    BILLING_FINALIZE_WAIT_FOR_METERING: 'false',
    BILLING_PRICES_TOPIC: specs.prices.name,
    BILLING_ACCOUNTS_TOPIC: specs.accounts.name,
    BILLING_PAYMENTS_TOPIC: specs.payments.name,
    BILLING_HOURLY_TOPIC: specs.hourly.name,
    BILLING_GRACE_HOURS: '1',
    BILLING_FINALIZE_INTERVAL_MS: '300',
    BILLING_DRAFT_REFRESH_MS: '200',
    BILLING_SESSION_TIMEOUT_MS: '6000',
    BILLING_METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
  });
  children.push(child);
  return child;
}

async function stopBilling(child: ChildHandle): Promise<void> {
  child.process.kill('SIGTERM');
  expect(await child.exited, child.output()).toBe(0);
}

async function tally(...argv: string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const io: CommandIo = { out: (t) => (text += t), err: (t) => (text += t), env };
  const code = await dispatch([replay], ['replay', 'billing', ...argv], io);
  return { code, text };
}

/** Every finalized invoice row, every column, as PostgreSQL renders it: byte-for-byte comparison. */
async function finalizedRows(): Promise<string[]> {
  const result = await db.pool.query<{ row: string }>(
    `SELECT row_to_json(i)::text AS row FROM invoices i WHERE status = 'finalized' ORDER BY account_id, month`,
  );
  return result.rows.map((r) => r.row);
}

async function counters(): Promise<string> {
  const result = await db.pool.query<{ rows: string }>(
    `SELECT coalesce(json_agg(c ORDER BY issuer, year), '[]')::text AS rows FROM invoice_counters c`,
  );
  return result.rows[0]!.rows;
}

/** billing_usage as `instance|hour@version`, sorted. */
async function usageRows(): Promise<string[]> {
  const result = await db.pool.query<{ instance_id: string; hour_start: string; version: string }>(
    `SELECT instance_id, hour_start, version FROM billing_usage WHERE starts_with(instance_id, $1)`,
    [run],
  );
  return result.rows.map((r) => `${r.instance_id}|${Number(r.hour_start)}@${r.version}`).sort();
}
const rowsOf = (values: UsageHourly[]) => values.map((u) => `${u.instanceId}|${u.hourStart}@${u.version}`).sort();

async function usageOffsets(): Promise<string> {
  const stored = await loadOffsets(db.pool, group, specs.usage.name);
  // No stored offset means "from the start", offset 0 on these fresh topics: keys carry the run's random id, so a
  // partition may get no usage record at all, and then billing never stores an offset for it.
  return [0, 1].map((p) => stored.get(p) ?? '0').join(',');
}

/** Billing has read every usage record, rebuilt its drafts, and `check` holds. */
async function rebuilt(child: ChildHandle, check: () => Promise<boolean>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = (await admin.fetchTopicOffsets(specs.usage.name)).sort((a, b) => a.partition - b.partition);
  await admin.disconnect();
  const done = await eventually(
    async () => {
      const dirty = await db.pool.query('SELECT 1 FROM billing_dirty_accounts');
      return (await usageOffsets()) === ends.map((e) => e.high).join(',') && dirty.rowCount === 0 && (await check());
    },
    90_000,
    300,
  );
  expect(done, child.output()).toBe(true);
}

beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
  env = {
    ...process.env,
    DB_SCHEMA: db.schema,
    BILLING_GROUP: group,
    BILLING_USAGE_TOPIC: specs.usage.name,
    // No metering feeds this billing: the finalizer waits for no traffic.samples.
    BILLING_FINALIZE_WAIT_FOR_METERING: 'false',
    BILLING_PRICES_TOPIC: specs.prices.name,
    BILLING_ACCOUNTS_TOPIC: specs.accounts.name,
    BILLING_PAYMENTS_TOPIC: specs.payments.name,
    LOG_LEVEL: 'error',
  };
  const all = Object.values(specs);
  const deadLetters = [specs.usage, specs.prices, specs.accounts, specs.payments].map((spec): TopicSpec => ({
    name: deadLetterTopicOf(spec.name),
    partitions: 1,
    cleanupPolicy: 'delete',
    key: 'k',
  }));
  const admin = kafka.admin();
  await admin.connect();
  await applyTopics(admin, [...all, ...deadLetters]);
  await admin.disconnect();
  await registerSchemas(registry, schemasDir, all);
  await produce(
    typedTopics.accounts,
    specs.accounts,
    accounts.map((a) => ({ key: a.accountId, value: a })),
    BATCH_1_AT,
  );
  await produce(
    typedTopics.prices,
    specs.prices,
    [{ key: 'compute.s1.small|USD|2025-01-01', value: price }],
    BATCH_1_AT,
  );
  await produce(typedTopics.usageHourly, specs.usage, usageRecords(batch1), BATCH_1_AT);
  await produce(typedTopics.usageHourly, specs.usage, usageRecords(batch2), BATCH_2_AT);
}, 60_000);

afterAll(async () => {
  for (const child of children) child.process.kill('SIGKILL');
  await db.drop();
});

let february: string[];

describe('tally replay billing', () => {
  it('refuses while billing runs', async () => {
    const child = startBilling();
    expect(await eventually(async () => (await finalizedRows()).length === 2, 90_000, 300), child.output()).toBe(true);
    const refused = await tally('--from', 'earliest', '--yes');
    expect(refused.code).toBe(2);
    expect(refused.text).toMatch(/refusing to replay: consumer groups have live members/);
    await stopBilling(child);
    february = await finalizedRows();
    expect(february.map((row) => (JSON.parse(row) as { month: string }).month)).toEqual(['2025-02', '2025-02']);
    expect(await usageRows()).toEqual(rowsOf([...batch1, ...batch2]));
  }, 150_000);

  it('--dry-run prints the plan and changes nothing', async () => {
    const before = [await usageRows(), await usageOffsets()];
    const dry = await tally('--from', 'earliest', '--dry-run');
    expect(dry.code, dry.text).toBe(0);
    expect(dry.text).toMatch(/billing_usage rows of the instance-hours in the replayed range/);
    expect(dry.text).toMatch(/dry run: nothing changed/);
    expect([await usageRows(), await usageOffsets()]).toEqual(before);
  });

  it('a replay from a time rebuilds exactly the usage its records cover; late usage becomes an adjustment', async () => {
    const from = new Date(BATCH_2_AT - 5 * MINUTE).toISOString();
    const done = await tally('--from', from, '--yes');
    expect(done.code, done.text).toBe(0);
    expect(done.text).toMatch(/3 billing_usage rows to rebuild, in one transaction/);
    // Only the second batch's instance-hours are gone, and each usage partition is back where that batch starts.
    expect(await usageRows()).toEqual(rowsOf(batch1));
    const admin = kafka.admin();
    await admin.connect();
    const atBatch2 = await admin.fetchTopicOffsetsByTimestamp(specs.usage.name, BATCH_2_AT);
    await admin.disconnect();
    expect(await usageOffsets()).toBe(
      atBatch2
        .sort((a, b) => a.partition - b.partition)
        .map((o) => o.offset)
        .join(','),
    );
    expect(await finalizedRows()).toEqual(february);

    await produce(typedTopics.usageHourly, specs.usage, usageRecords([correction]), NOW);
    const child = startBilling();
    await rebuilt(child, async () => (await finalizedRows()).length === 3);
    await stopBilling(child);
    const rows = await finalizedRows();
    expect(rows.filter((row) => february.includes(row))).toEqual(february);
    expect(await usageRows()).toEqual(rowsOf([correction, ...batch1.slice(1), ...batch2]));
    const march = rows
      .map((row) => JSON.parse(row) as { month: string; content: InvoiceDraft })
      .find((i) => i.month === '2025-03')!;
    expect(march.content.accountId).toBe(A);
    expect(march.content.lines.map((l) => [l.kind, l.adjustsMonth, l.quantity, l.roundedAmount])).toEqual([
      ['adjustment', '2025-02', '0.5', '0.01'],
    ]);
  }, 150_000);

  it('a replay from the earliest offsets rebuilds all usage; finalized invoices stay byte-identical', async () => {
    const finalized = await finalizedRows();
    const numbers = await counters();
    const done = await tally('--from', 'earliest', '--yes');
    expect(done.code, done.text).toBe(0);
    expect(done.text).toMatch(/6 billing_usage rows to rebuild/);
    expect(await usageRows()).toEqual([]);
    expect(await usageOffsets()).toBe('0,0');
    const child = startBilling();
    await rebuilt(child, async () => (await usageRows()).length === 6);
    await stopBilling(child);
    expect(await usageRows()).toEqual(rowsOf([correction, ...batch1.slice(1), ...batch2]));
    expect(await finalizedRows()).toEqual(finalized);
    expect(await counters()).toBe(numbers);
  }, 150_000);
});
