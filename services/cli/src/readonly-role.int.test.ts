/**
 * The CLI's read paths under the read-only role, as support runs them: `tally db migrate` grants the roles, a login
 * user is made a member of `<prefix>_readonly`, and with its DATABASE_URL `invoices export`, `status`, `dlq list`,
 * `late list` and `billing verify` all work and see what the owner wrote; writing paths (`db migrate`) are refused.
 */
import { randomBytes } from 'node:crypto';
import { buildInvoice, invoiceHash, PriceBook } from '@tally/billing';
import { connectionEnv, loadConfig } from '@tally/config';
import {
  createPool,
  createTestDatabase,
  migrate,
  quoteIdentifier,
  roleName,
  serviceRoles,
  type Pool,
  type TestDatabase,
} from '@tally/db';
import { applyTopics, createIdempotentProducer, createKafka, dlqTopicName, topics, type TopicSpec } from '@tally/kafka';
import { createLogger } from '@tally/log';
import type { Account, PriceEntry, UsageHourly } from '@tally/records';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingVerify } from './billing-verify.ts';
import type { Command } from './command.ts';
import { dbMigrate } from './db-migrate.ts';
import { dispatch } from './dispatch.ts';
import { dlqList } from './dlq-list.ts';
import { invoicesExport } from './invoices-export.ts';
import { lateList } from './late-list.ts';
import { status } from './status.ts';

const endpoints = loadConfig(connectionEnv);
const kafka = createKafka('readonly-cli-test', endpoints.KAFKA_BROKERS, createLogger('readonly-cli-test', 'warn'));
const run = `r${randomBytes(4).toString('hex')}`;
const prefix = `t_${run}`;
const readonlyLogin = `${roleName(prefix, 'readonly')}_login`;
const named = (spec: TopicSpec, suffix: string): TopicSpec => ({ ...spec, name: `test.${run}.${suffix}` });
const specs = {
  samples: named(topics.trafficSamples, 'samples'),
  late: named(topics.lateSamples, 'late'),
  usage: named(topics.usageHourly, 'usage'),
  prices: named(topics.prices, 'prices'),
  accounts: named(topics.accounts, 'accounts'),
};
const dlq: TopicSpec = { name: dlqTopicName(specs.samples.name), partitions: 1, cleanupPolicy: 'delete', key: 'k' };
const UTC = (m: number, d: number, h = 0) => Date.UTC(2025, m - 1, d, h);

const account: Account = {
  accountId: `${run}-acc`,
  name: 'acc',
  email: 'acc@example.com',
  plan: 'paying',
  freeCredit: '0',
  currency: 'USD',
  timeZone: 'UTC',
  createdAt: UTC(1, 1),
  address: null,
  unsubscribed: false,
};
const prices: PriceEntry[] = [
  {
    sku: 'compute.g1.large',
    currency: 'USD',
    effectiveFrom: UTC(1, 1),
    unit: 'hour',
    model: { kind: 'per_unit', unitPrice: '1.25' },
  },
];
const usage: UsageHourly[] = Array.from({ length: 3 }, (_, h) => ({
  instanceId: `${run}-i1`,
  accountId: account.accountId,
  instanceType: 'g1.large',
  hourStart: UTC(2, 10, h),
  runningSeconds: 3600,
  rxBytes: 0,
  txBytes: 0,
  rxPackets: 0,
  txPackets: 0,
  cpuSeconds: '0',
  counted: [],
  version: 1,
}));

let db: TestDatabase;
let readonlyUrl: string;

beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
  await migrate(endpoints.DATABASE_URL, db.schema, undefined, { rolePrefix: prefix });
  await db.pool.query(
    `CREATE ROLE ${quoteIdentifier(readonlyLogin)} LOGIN IN ROLE ${quoteIdentifier(roleName(prefix, 'readonly'))}`,
  );
  const url = new URL(endpoints.DATABASE_URL);
  url.username = readonlyLogin;
  url.password = '';
  readonlyUrl = url.toString();
  // What billing would have finalized: three hours of a g1.large in February 2025.
  const invoice = buildInvoice({
    account,
    month: '2025-02',
    prices: PriceBook.from(prices),
    usage,
    creditAvailable: '0',
  });
  await db.pool.query(
    `INSERT INTO invoices (account_id, month, status, issuer, number, currency, total, content, content_hash, finalized_at)
     VALUES ($1, '2025-02', 'finalized', 'tally', 'INV-2025-000001', 'USD', $2, $3, $4, now())`,
    [account.accountId, invoice.total, JSON.stringify(invoice), invoiceHash(invoice)],
  );
  await db.pool.query(`INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, 0, 0)`, [
    `metering-${run}`,
    specs.samples.name,
  ]);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await applyTopics(admin, [...Object.values(specs), dlq]);
  } finally {
    await admin.disconnect();
  }
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  await producer.send({
    topic: dlq.name,
    acks: -1,
    messages: [{ key: 'i-1', value: Buffer.from('not avro'), headers: { 'tally.error': 'DecodeError: bad' } }],
  });
  await producer.disconnect();
}, 60_000);

afterAll(async () => {
  await db.drop();
  const owner: Pool = createPool(endpoints.DATABASE_URL, { max: 1 });
  for (const name of [readonlyLogin, ...serviceRoles.map((r) => roleName(prefix, r))]) {
    const exists = await owner.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
    if (exists.rowCount === 0) continue;
    await owner.query(`DROP OWNED BY ${quoteIdentifier(name)}`);
    await owner.query(`DROP ROLE ${quoteIdentifier(name)}`);
  }
  await owner.end();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [...Object.values(specs), dlq].map((s) => s.name) }).catch(() => undefined);
  await admin.disconnect();
});

async function tallyAsReadonly(command: Command, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await dispatch([command], [...command.path, ...argv], {
    out: (t) => (out += t),
    err: (t) => (err += t),
    env: {
      ...process.env,
      DATABASE_URL: readonlyUrl,
      DB_SCHEMA: db.schema,
      METERING_GROUP: `metering-${run}`,
      METERING_SAMPLES_TOPIC: specs.samples.name,
      METERING_LATE_TOPIC: specs.late.name,
      BILLING_USAGE_TOPIC: specs.usage.name,
      BILLING_PRICES_TOPIC: specs.prices.name,
      BILLING_ACCOUNTS_TOPIC: specs.accounts.name,
    },
  });
  return { code, out, err };
}

describe('the CLI under the read-only role', () => {
  it('exports invoices, shows status, dead letters and late samples, verifies a month', async () => {
    const csv = await tallyAsReadonly(invoicesExport, ['--period', '2025-02', '--format', 'csv']);
    expect(csv.code, csv.err).toBe(0);
    expect(csv.out).toContain('INV-2025-000001');
    expect(csv.out).toContain(account.accountId);
    expect(csv.out).toContain('3.75'); // 3 h × 1.25

    const report = await tallyAsReadonly(status, ['--json']);
    expect(report.code, report.err).toBe(0);
    const parsed = JSON.parse(report.out) as {
      groups: { group: string; partitions: { stored: string | null }[] }[];
      lastFinalized: { month: string | null; invoices: number };
    };
    expect(parsed.lastFinalized).toEqual({ month: '2025-02', invoices: 1 });
    expect(parsed.groups.find((g) => g.group === `metering-${run}`)?.partitions[0]?.stored).toBe('0');

    // The re-drive ledger is read from PostgreSQL: false, not "unknown" (null), means the read was allowed.
    const letters = await tallyAsReadonly(dlqList, [specs.samples.name, '--json']);
    expect(letters.code, letters.err).toBe(0);
    expect(letters.err).not.toContain('re-driven state unknown');
    expect((JSON.parse(letters.out) as { redriven: boolean | null }[]).map((l) => l.redriven)).toEqual([false]);

    const late = await tallyAsReadonly(lateList, ['--json']);
    expect(late.code, late.err).toBe(0);

    // A month with nothing finalized and empty topics: nothing to differ, but the stored side was read.
    const verify = await tallyAsReadonly(billingVerify, ['--period', '2025-03']);
    expect(verify.code, verify.out + verify.err).toBe(0);
  });

  it('cannot migrate or grant', async () => {
    const migrated = await tallyAsReadonly(dbMigrate, ['--schema', db.schema, '--roles', prefix]);
    expect(migrated.code).not.toBe(0);
    expect(migrated.err).toMatch(/permission denied|must be owner/);
  });
});
