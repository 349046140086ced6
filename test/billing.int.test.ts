/**
 * Billing end to end over real Kafka, registry and PostgreSQL: a month (and its edges) of usage for three accounts
 * (a trial account with free credit in Europe/Zurich, a USD account in New York, an EUR account in UTC) and one
 * hand-checked account, a price book with a mid-month price cut, billing as a child process.
 *
 * (a) finalized invoices equal an independent oracle (plain sums over the generator's final values), and one
 *     account's invoice equals totals worked out by hand; (b) a rebuild from empty tables (new schema, new group)
 *     gives byte-identical invoices and the same numbers; (c) so does a run killed with SIGKILL at random points;
 *     (d) the mid-month price change bills each hour at the price in force; (e) the database refuses to change a
 *     finalized invoice; (f) billing.hourly settles on the values of an in-order computation.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { computeAccountHours, PriceBook, type InvoiceDraft } from '@tally/billing';
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
import { Dec } from '@tally/money';
import { usageKey, type Account, type BillingHourly, type PriceEntry, type UsageHourly } from '@tally/records';
import { eventually, startNodeChild, type ChildHandle } from '@tally/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const endpoints = loadConfig(connectionEnv);
const log = createLogger('billing-e2e', 'warn');
const kafka = createKafka('billing-e2e', endpoints.KAFKA_BROKERS, log);
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const schemasDir = fileURLToPath(new URL('../schemas', import.meta.url));
const billingMain = fileURLToPath(new URL('../services/billing/src/main.ts', import.meta.url));
const cliMain = fileURLToPath(new URL('../services/cli/src/main.ts', import.meta.url));
const run = `b${randomBytes(4).toString('hex')}`;
const children: ChildHandle[] = [];
const databases: TestDatabase[] = [];

const HOUR = 3_600_000;
const UTC = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h);
const PRICE_CUT = UTC(2025, 3, 15); // g1.large 1.25 → 0.99 USD (1.15 → 0.91 EUR)
const FROM = UTC(2025, 2, 27);
const TO = UTC(2025, 4, 2);
const TYPES = ['s1.small', 's1.medium', 'g1.large'] as const;

// ---------------------------------------------------------------------------------------------------- inputs

const accounts: Account[] = [
  account('trial', 'trial', '25.00', 'USD', 'Europe/Zurich'),
  account('ny', 'paying', '0', 'USD', 'America/New_York'),
  account('eur', 'paying', '0', 'EUR', 'UTC'),
  account('hand', 'paying', '0', 'USD', 'UTC'),
];
const HAND = `${run}-acct-hand`;

function account(name: string, plan: Account['plan'], freeCredit: string, currency: string, timeZone: string): Account {
  return {
    accountId: `${run}-acct-${name}`,
    name,
    email: `${name}@example.com`,
    plan,
    freeCredit,
    currency,
    timeZone,
    createdAt: UTC(2025, 1, 1),
    address: null,
    unsubscribed: false,
  };
}

const perUnit = (unitPrice: string) => ({ kind: 'per_unit' as const, unitPrice });
const egressModel = (unitPrice: string) => ({
  kind: 'graduated' as const,
  tiers: [
    { upTo: '100', unitPrice: '0', flatFee: '0' },
    { upTo: null, unitPrice, flatFee: '0' },
  ],
});
const Y2025 = UTC(2025, 1, 1);
const prices: PriceEntry[] = [
  { sku: 'compute.s1.small', currency: 'USD', effectiveFrom: Y2025, unit: 'hour', model: perUnit('0.0104') },
  { sku: 'compute.s1.small', currency: 'EUR', effectiveFrom: Y2025, unit: 'hour', model: perUnit('0.0096') },
  { sku: 'compute.s1.medium', currency: 'USD', effectiveFrom: Y2025, unit: 'hour', model: perUnit('0.0208') },
  { sku: 'compute.s1.medium', currency: 'EUR', effectiveFrom: Y2025, unit: 'hour', model: perUnit('0.0192') },
  { sku: 'compute.g1.large', currency: 'USD', effectiveFrom: Y2025, unit: 'hour', model: perUnit('1.25') },
  { sku: 'compute.g1.large', currency: 'EUR', effectiveFrom: Y2025, unit: 'hour', model: perUnit('1.15') },
  { sku: 'compute.g1.large', currency: 'USD', effectiveFrom: PRICE_CUT, unit: 'hour', model: perUnit('0.99') },
  { sku: 'compute.g1.large', currency: 'EUR', effectiveFrom: PRICE_CUT, unit: 'hour', model: perUnit('0.91') },
  { sku: 'egress.gb', currency: 'USD', effectiveFrom: Y2025, unit: 'gb', model: egressModel('0.09') },
  { sku: 'egress.gb', currency: 'EUR', effectiveFrom: Y2025, unit: 'gb', model: egressModel('0.083') },
];

/** Deterministic PRNG (mulberry32), so a failing run can be reproduced from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function usage(
  instanceId: string,
  accountId: string,
  instanceType: string,
  hourStart: number,
  runningSeconds: number,
  txBytes: number,
  rxBytes: number,
  version: number,
): UsageHourly {
  return {
    instanceId,
    accountId,
    instanceType,
    hourStart,
    runningSeconds,
    rxBytes,
    txBytes,
    rxPackets: 0,
    txPackets: 0,
    cpuSeconds: '0',
    counted: [{ interfaceId: 'eth0', slots: Array.from({ length: runningSeconds / 30 }, (_, i) => i) }],
    version,
  };
}

/**
 * The stream as produced (with second versions, stale re-sends and duplicates) and the final value per
 * instance-hour, which the oracle reads directly: it never looks at versions.
 */
function generateUsage(seed: number): { stream: UsageHourly[]; final: Map<string, UsageHourly> } {
  const random = prng(seed);
  const stream: UsageHourly[] = [];
  const final = new Map<string, UsageHourly>();
  const generated = accounts.filter((a) => a.accountId !== HAND);
  for (let i = 0; i < 30; i += 1) {
    const owner = generated[i % generated.length]!.accountId;
    const type = TYPES[Math.floor(i / 3) % TYPES.length]!;
    const instanceId = `${run}-i-${String(i).padStart(2, '0')}`;
    for (let hour = FROM; hour < TO; hour += HOUR) {
      if (random() > 0.75) continue;
      const seconds = random() < 0.8 ? 3600 : 30 * (1 + Math.floor(random() * 119));
      const v1 = usage(
        instanceId,
        owner,
        type,
        hour,
        seconds,
        Math.floor(random() * 1.5e9),
        Math.floor(random() * 1e9),
        1,
      );
      stream.push(v1);
      let last = v1;
      if (random() < 0.1) {
        const v2 = { ...v1, txBytes: v1.txBytes + Math.floor(random() * 1e8), version: 3 };
        stream.push(v2);
        last = v2;
        if (random() < 0.5) stream.push(v1); // a stale version after the newer one: must change nothing
      }
      if (random() < 0.05) stream.push(last); // a duplicate
      final.set(usageKey(instanceId, hour), last);
    }
  }
  // The hand-checked account: one g1.large in UTC, 10 h before the price cut, 4 h after, 150 GB of egress.
  const hand = (day: number, h: number, tx: number) =>
    usage(`${run}-i-hand`, HAND, 'g1.large', UTC(2025, 3, day, h), 3600, tx, 0, 1);
  for (let h = 0; h < 10; h += 1) stream.push(hand(10, h, 10e9));
  for (let h = 0; h < 4; h += 1) stream.push(hand(20, h, 12.5e9));
  for (const u of stream.filter((s) => s.accountId === HAND)) final.set(usageKey(u.instanceId, u.hourStart), u);
  return { stream, final };
}

// ---------------------------------------------------------------------------------------------------- oracle

interface OracleInvoice {
  lines: Map<string, { quantity: Dec; rounded: Dec }>;
  subtotal: Dec;
  creditApplied: Dec;
  total: Dec;
}

function monthOfIn(at: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).formatToParts(at);
  return `${parts.find((p) => p.type === 'year')!.value}-${parts.find((p) => p.type === 'month')!.value}`;
}

/** Plain sums: per account and local month, seconds per (type, price period) and bytes; rounding; credit chain. */
function oracle(final: Map<string, UsageHourly>): Map<string, OracleInvoice> {
  const sums = new Map<string, Map<string, Dec>>(); // account|month → sku|from → base units
  for (const u of final.values()) {
    const acct = accounts.find((a) => a.accountId === u.accountId)!;
    const id = `${u.accountId}|${monthOfIn(u.hourStart, acct.timeZone)}`;
    const groups = sums.get(id) ?? new Map<string, Dec>();
    const from = u.instanceType === 'g1.large' && u.hourStart >= PRICE_CUT ? PRICE_CUT : Y2025;
    const add = (key: string, n: number) => groups.set(key, (groups.get(key) ?? new Dec(0)).plus(n));
    add(`compute.${u.instanceType}|${from}`, u.runningSeconds);
    add(`egress.gb|${Y2025}`, u.txBytes);
    sums.set(id, groups);
  }
  const result = new Map<string, OracleInvoice>();
  for (const acct of accounts) {
    let credit = new Dec(acct.freeCredit);
    const months = [...sums.keys()].filter((k) => k.startsWith(`${acct.accountId}|`)).sort();
    for (const id of months) {
      const lines = new Map<string, { quantity: Dec; rounded: Dec }>();
      for (const [key, base] of sums.get(id)!) {
        const [sku, from] = key.split('|') as [string, string];
        const entry = prices.find(
          (p) => p.sku === sku && p.currency === acct.currency && p.effectiveFrom === Number(from),
        )!;
        let quantity: Dec;
        let amount: Dec;
        if (sku === 'egress.gb') {
          quantity = base.div(1e9);
          const rate = entry.model.kind === 'graduated' ? entry.model.tiers[1]!.unitPrice : '0';
          amount = Dec.max(0, quantity.minus(100)).times(rate);
        } else {
          quantity = base.div(3600);
          amount = quantity.times(entry.model.kind === 'per_unit' ? entry.model.unitPrice : '0');
        }
        lines.set(`${sku}|${new Date(Number(from)).toISOString()}`, {
          quantity,
          rounded: amount.toDecimalPlaces(2, Dec.ROUND_HALF_UP),
        });
      }
      const subtotal = [...lines.values()].reduce((s, l) => s.plus(l.rounded), new Dec(0));
      const applied = subtotal.gt(0) ? Dec.min(credit.toDecimalPlaces(2, Dec.ROUND_DOWN), subtotal) : new Dec(0);
      credit = credit.minus(applied);
      result.set(id, { lines, subtotal, creditApplied: applied, total: subtotal.minus(applied) });
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------- plumbing

interface BillingTopics {
  usage: TopicSpec;
  prices: TopicSpec;
  accounts: TopicSpec;
  payments: TopicSpec;
  hourly: TopicSpec;
}

const allOf = (s: BillingTopics): TopicSpec[] => [s.usage, s.prices, s.accounts, s.payments, s.hourly];

async function createTopics(): Promise<BillingTopics> {
  const named = (spec: TopicSpec, suffix: string): TopicSpec => ({ ...spec, name: `test.${run}.${suffix}` });
  const specs: BillingTopics = {
    usage: named(topics.usageHourly, 'usage'),
    prices: named(topics.prices, 'prices'),
    accounts: named(topics.accounts, 'accounts'),
    payments: named(topics.payments, 'payments'),
    hourly: named(topics.billingHourly, 'billing-hourly'),
  };
  const deadLetters = [specs.usage, specs.prices, specs.accounts, specs.payments].map((spec): TopicSpec => ({
    name: deadLetterTopicOf(spec.name),
    partitions: 1,
    cleanupPolicy: 'delete',
    key: 'original key',
  }));
  const admin = kafka.admin();
  await admin.connect();
  try {
    await applyTopics(admin, [...allOf(specs), ...deadLetters]);
  } finally {
    await admin.disconnect();
  }
  await registerSchemas(registry, schemasDir, allOf(specs));
  return specs;
}

async function produce<T>(typed: TypedTopic<T>, name: string, records: readonly { key: string; value: T }[]) {
  const codec = valueCodec(registry, { ...typed, spec: { ...typed.spec, name } });
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += 2000) {
      const messages = [];
      for (const r of records.slice(i, i + 2000)) messages.push({ key: r.key, value: await codec.encode(r.value) });
      await producer.send({ topic: name, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

function startBilling(db: TestDatabase, group: string): ChildHandle {
  const child = startNodeChild(billingMain, {
    DB_SCHEMA: db.schema,
    BILLING_GROUP: group,
    BILLING_USAGE_TOPIC: specs.usage.name,
    // No metering feeds this billing: the finalizer waits for no traffic.samples.
    BILLING_FINALIZE_WAIT_FOR_METERING: 'false',
    BILLING_PRICES_TOPIC: specs.prices.name,
    BILLING_ACCOUNTS_TOPIC: specs.accounts.name,
    BILLING_PAYMENTS_TOPIC: specs.payments.name,
    BILLING_HOURLY_TOPIC: specs.hourly.name,
    BILLING_GRACE_HOURS: '1',
    BILLING_FINALIZE_INTERVAL_MS: '500',
    BILLING_DRAFT_REFRESH_MS: '200',
    BILLING_MAX_BYTES_PER_PARTITION: '65536',
    BILLING_SESSION_TIMEOUT_MS: '6000',
    BILLING_METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
  });
  children.push(child);
  return child;
}

interface StoredInvoice {
  accountId: string;
  month: string;
  number: string;
  hash: string;
  content: InvoiceDraft;
}

async function finalizedInvoices(db: TestDatabase): Promise<StoredInvoice[]> {
  const result = await db.pool.query<{
    account_id: string;
    month: string;
    number: string;
    content_hash: string;
    content: InvoiceDraft;
  }>(
    `SELECT account_id, month, number, content_hash, content FROM invoices WHERE status = 'finalized'
     ORDER BY account_id COLLATE "C", month`,
  );
  return result.rows.map((r) => ({
    accountId: r.account_id,
    month: r.month,
    number: r.number,
    hash: r.content_hash,
    content: r.content,
  }));
}

async function waitForInvoices(db: TestDatabase, child: ChildHandle, count: number): Promise<StoredInvoice[]> {
  const done = await eventually(
    async () => (await finalizedInvoices(db)).length >= count,
    Number(process.env['BILLING_E2E_WAIT_MS'] ?? 150_000),
    500,
  );
  expect(done, `finalized ${(await finalizedInvoices(db)).length} of ${count}\n${child.output()}`).toBe(true);
  return finalizedInvoices(db);
}

async function newDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase(endpoints.DATABASE_URL);
  databases.push(db);
  return db;
}

const summary = (invoices: StoredInvoice[]) => invoices.map((i) => `${i.accountId} ${i.month} ${i.number} ${i.hash}`);

// ---------------------------------------------------------------------------------------------------- tests

let specs: BillingTopics;
let expected: Map<string, OracleInvoice>;
let finalUsage: Map<string, UsageHourly>;
let published: BillingHourly[];
let first: StoredInvoice[];
let firstDb: TestDatabase;

beforeAll(async () => {
  specs = await createTopics();
  const { stream, final } = generateUsage(20250315);
  finalUsage = final;
  expected = oracle(final);
  // Usage first, then accounts and prices: billing must keep usage that arrives before what prices it.
  await produce(
    typedTopics.usageHourly,
    specs.usage.name,
    stream.map((u) => ({ key: usageKey(u.instanceId, u.hourStart), value: u })),
  );
  await produce(
    typedTopics.accounts,
    specs.accounts.name,
    accounts.map((a) => ({ key: a.accountId, value: a })),
  );
  await produce(
    typedTopics.prices,
    specs.prices.name,
    prices.map((p) => ({ key: `${p.sku}|${p.currency}|${new Date(p.effectiveFrom).toISOString()}`, value: p })),
  );
}, 120_000);

afterAll(async () => {
  for (const child of children) child.process.kill('SIGKILL');
  for (const db of databases) await db.drop();
});

describe('billing over Kafka and PostgreSQL', () => {
  it('(a) finalizes invoices equal to an independent oracle and to totals worked out by hand', async () => {
    firstDb = await newDatabase();
    const child = startBilling(firstDb, `billing-${run}-1`);
    first = await waitForInvoices(firstDb, child, expected.size);
    // billing.hourly values settle once the stale later hours are recomputed (the stream is in random order).
    const settled = await eventually(async () => {
      const left = await firstDb.pool.query<{ n: string }>(
        // A mark parked at its seq (its account cannot be computed) stays until new input: not waited for.
        `SELECT (SELECT count(*) FROM billing_hourly_stale WHERE parked_seq IS DISTINCT FROM seq)
         + (SELECT count(*) FROM billing_pending_hours) AS n`,
      );
      return left.rows[0]!.n === '0';
    }, 60_000);
    expect(settled, child.output()).toBe(true);
    // ...and none was parked (its values would stay stale): its reason, not a wait until the timeout.
    const parked = await firstDb.pool.query(
      `SELECT account_id, parked_reason FROM billing_hourly_stale WHERE parked_seq = seq ORDER BY account_id`,
    );
    expect(parked.rows, child.output()).toEqual([]);
    published = (
      await firstDb.pool.query<{ value: BillingHourly }>(
        'SELECT value FROM billing_hourly ORDER BY account_id, hour_start',
      )
    ).rows.map((r) => r.value);
    child.process.kill('SIGTERM');
    expect(await child.exited, child.output()).toBe(0);

    expect(first.map((i) => `${i.accountId}|${i.month}`).sort()).toEqual([...expected.keys()].sort());
    for (const invoice of first) {
      const want = expected.get(`${invoice.accountId}|${invoice.month}`)!;
      const usageLines = invoice.content.lines.filter((l) => l.kind === 'usage');
      expect(invoice.content.lines.filter((l) => l.kind === 'adjustment')).toEqual([]);
      expect(usageLines.map((l) => l.priceEntryKey!.replace(/\|[A-Z]{3}\|/, '|')).sort()).toEqual(
        [...want.lines.keys()].sort(),
      );
      for (const line of usageLines) {
        const w = want.lines.get(line.priceEntryKey!.replace(/\|[A-Z]{3}\|/, '|'))!;
        expect(new Dec(line.quantity!).eq(w.quantity), `${invoice.accountId} ${invoice.month} ${line.sku}`).toBe(true);
        expect(line.roundedAmount, `${invoice.accountId} ${invoice.month} ${line.sku}`).toBe(w.rounded.toFixed(2));
      }
      expect(invoice.content.subtotal).toBe(want.subtotal.toFixed(2));
      expect(invoice.content.creditApplied).toBe(want.creditApplied.toFixed(2));
      expect(invoice.content.total).toBe(want.total.toFixed(2));
    }
    // The trial account's credit was used.
    expect(first.some((i) => i.accountId.endsWith('-acct-trial') && i.content.creditApplied !== '0.00')).toBe(true);

    // By hand: 10 h × 1.25 = 12.50, 4 h × 0.99 = 3.96, egress 150 GB: (150 − 100) × 0.09 = 4.50; total 20.96.
    const hand = first.find((i) => i.accountId === HAND)!;
    expect(hand.content.month).toBe('2025-03');
    expect(hand.content.lines.map((l) => [l.sku, l.quantity, l.roundedAmount])).toEqual([
      ['compute.g1.large', '10', '12.50'],
      ['compute.g1.large', '4', '3.96'],
      ['egress.gb', '150', '4.50'],
    ]);
    expect(hand.content.total).toBe('20.96');

    // Gapless numbers per issuer and year, in (month, account id) order.
    const byNumber = [...first].sort((a, b) => (a.number < b.number ? -1 : 1));
    expect(byNumber.map((i) => i.number)).toEqual(byNumber.map((_, n) => `INV-2025-${String(n + 1).padStart(6, '0')}`));
    const order = [...first].sort((a, b) =>
      a.month !== b.month ? (a.month < b.month ? -1 : 1) : a.accountId < b.accountId ? -1 : 1,
    );
    expect(order.map((i) => i.number)).toEqual(byNumber.map((i) => i.number));
  }, 240_000);

  it('(d) bills each hour at the price in force at its start across the mid-month change', () => {
    for (const invoice of first.filter((i) => i.month === '2025-03')) {
      const g1 = invoice.content.lines.filter((l) => l.sku === 'compute.g1.large');
      if (g1.length === 0) continue;
      const cut = new Date(PRICE_CUT).toISOString();
      // Accounts with g1.large hours on both sides of the cut get one line per price entry.
      expect(g1.map((l) => l.priceEntryKey!.split('|')[2]).sort()).toEqual(['2025-01-01T00:00:00.000Z', cut]);
      const rate = (l: (typeof g1)[number]) => new Dec(l.amount).div(l.quantity!);
      const [before, after] = g1[0]!.priceEntryKey!.endsWith(cut) ? [g1[1]!, g1[0]!] : [g1[0]!, g1[1]!];
      expect(rate(before).toString()).toBe(invoice.content.currency === 'USD' ? '1.25' : '1.15');
      expect(rate(after).toString()).toBe(invoice.content.currency === 'USD' ? '0.99' : '0.91');
    }
  });

  it('(f) publishes billing.hourly values that depend only on the month, whatever the arrival order', () => {
    // The stream came in random order with re-versions; the values left are those of one in-order computation.
    const book = PriceBook.from(prices);
    const strip = ({ version: _version, ...rest }: BillingHourly) => rest;
    const want = accounts.flatMap((a) => {
      const usage = [...finalUsage.values()].filter((u) => u.accountId === a.accountId);
      return computeAccountHours({
        account: a,
        hours: usage.map((u) => u.hourStart),
        stored: new Map(),
        usage,
        prices: book,
        versionOf: () => 0,
      }).values;
    });
    const key = (v: BillingHourly) => `${v.accountId}|${v.hourStart}`;
    expect(published.length).toBe(want.length);
    const byKey = new Map(published.map((v) => [key(v), strip(v)]));
    for (const v of want) expect(byKey.get(key(v)), key(v)).toEqual(strip(v));
  });

  it('(e) the database refuses to change or delete a finalized invoice', async () => {
    const { accountId, month } = first[0]!;
    await expect(
      firstDb.pool.query(`UPDATE invoices SET total = 0 WHERE account_id = $1 AND month = $2`, [accountId, month]),
    ).rejects.toThrow(/finalized and immutable/);
    await expect(
      firstDb.pool.query(`DELETE FROM invoices WHERE account_id = $1 AND month = $2`, [accountId, month]),
    ).rejects.toThrow(/finalized and immutable/);
    await expect(firstDb.pool.query('TRUNCATE invoices')).rejects.toThrow(/TRUNCATE refused/);
  });

  it('exports the finalized invoices as CSV whose line amounts add up to the totals', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [cliMain, 'invoices', 'export', '--period', '2025-03', '--format', 'csv'],
      { env: { ...process.env, DB_SCHEMA: firstDb.schema } },
    );
    const rows = stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((row) => row.split(','));
    const march = first.filter((i) => i.month === '2025-03');
    expect(new Set(rows.map((r) => r[0]))).toEqual(new Set(march.map((i) => i.number)));
    for (const invoice of march) {
      const mine = rows.filter((r) => r[0] === invoice.number);
      expect(mine).toHaveLength(invoice.content.lines.length);
      const sum = mine.reduce((total, r) => total.plus(r[10]!), new Dec(0));
      expect(sum.toFixed(2)).toBe(invoice.content.total);
      expect(mine.every((r) => r[11] === invoice.content.total)).toBe(true);
    }
  });

  it('(b) a rebuild from empty tables with a new group gives byte-identical invoices', async () => {
    const db = await newDatabase();
    const child = startBilling(db, `billing-${run}-rebuild`);
    const rebuilt = await waitForInvoices(db, child, expected.size);
    child.process.kill('SIGTERM');
    expect(await child.exited, child.output()).toBe(0);
    expect(summary(rebuilt)).toEqual(summary(first));
  }, 240_000);

  it('(c) SIGKILL at random points and restarts change nothing', async () => {
    const db = await newDatabase();
    const group = `billing-${run}-killed`;
    let kills = 0;
    for (let round = 0; round < 4; round += 1) {
      const child = startBilling(db, group);
      await new Promise((resolve) => setTimeout(resolve, 1500 + Math.random() * 3000));
      child.process.kill('SIGKILL');
      await child.exited;
      kills += 1;
      if ((await finalizedInvoices(db)).length >= expected.size) break;
    }
    const last = startBilling(db, group);
    const invoices = await waitForInvoices(db, last, expected.size);
    last.process.kill('SIGTERM');
    expect(await last.exited, last.output()).toBe(0);
    expect(kills).toBeGreaterThan(0);
    expect(summary(invoices)).toEqual(summary(first));
  }, 300_000);
});
