// Test data for the API's integration tests and bench (not exported from the package): rows written as metering and
// billing write them, so the routes read what the services would have left.
import { INVOICE_FORMAT, invoiceHash, type InvoiceDraft } from '@tally/billing';
import type { Queryable } from '@tally/db';
import type { Account, UsageHourly } from '@tally/records';

export function testAccount(overrides: Partial<Account> = {}): Account {
  return {
    accountId: 'acct-a',
    name: 'Acme AG',
    email: 'billing@acme.example',
    plan: 'paying',
    freeCredit: '0',
    currency: 'CHF',
    timeZone: 'Europe/Zurich',
    createdAt: Date.parse('2026-01-01T00:00:00Z'),
    address: { line1: 'Bahnhofstrasse 1', line2: '', city: 'Zürich', postalCode: '8001', region: '', country: 'CH' },
    unsubscribed: false,
    ...overrides,
  };
}

export async function insertAccounts(db: Queryable, accounts: readonly Account[]): Promise<void> {
  await db.query(
    `INSERT INTO billing_accounts (account_id, currency, record)
     SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])`,
    [accounts.map((a) => a.accountId), accounts.map((a) => a.currency), accounts.map((a) => JSON.stringify(a))],
  );
}

/** usage_hourly rows (metering's state) and the inventory records naming their owners, in a few statements. */
export async function insertUsage(db: Queryable, rows: readonly UsageHourly[]): Promise<void> {
  const CHUNK = 5000;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    await db.query(
      `INSERT INTO usage_hourly (instance_id, hour_start, account_id, instance_type, running_seconds, rx_bytes, tx_bytes,
                                 rx_packets, tx_packets, cpu_seconds, counted, version)
       SELECT i, to_timestamp(h / 1000.0), a, t, r, rb, tb, rp, tp, c, ct, v
       FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[],
                   $8::bigint[], $9::bigint[], $10::numeric[], $11::jsonb[], $12::bigint[])
            AS u(i, h, a, t, r, rb, tb, rp, tp, c, ct, v)`,
      [
        chunk.map((u) => u.instanceId),
        chunk.map((u) => u.hourStart),
        chunk.map((u) => u.accountId),
        chunk.map((u) => u.instanceType),
        chunk.map((u) => u.runningSeconds),
        chunk.map((u) => u.rxBytes),
        chunk.map((u) => u.txBytes),
        chunk.map((u) => u.rxPackets),
        chunk.map((u) => u.txPackets),
        chunk.map((u) => u.cpuSeconds),
        chunk.map((u) => JSON.stringify(u.counted)),
        chunk.map((u) => u.version),
      ],
    );
  }
  const owners = new Map(rows.map((u) => [u.instanceId, u]));
  await db.query(
    `INSERT INTO inventory (instance_id, record, updated_at)
     SELECT i, jsonb_build_object('instanceId', i, 'accountId', a, 'instanceType', t), now()
     FROM unnest($1::text[], $2::text[], $3::text[]) AS x(i, a, t) ON CONFLICT DO NOTHING`,
    [[...owners.keys()], [...owners.values()].map((u) => u.accountId), [...owners.values()].map((u) => u.instanceType)],
  );
}

/** A small invoice document of the shape billing builds (two usage lines), with its total. */
export function testInvoice(
  accountId: string,
  month: string,
  currency: string,
  amounts: readonly string[],
): InvoiceDraft {
  const lines = amounts.map((amount, i) => ({
    kind: 'usage' as const,
    sku: i === 0 ? 'compute.s1.small' : 'egress.gb',
    priceEntryKey: `${i === 0 ? 'compute.s1.small' : 'egress.gb'}|${currency}|2026-01-01T00:00:00.000Z`,
    unit: i === 0 ? ('hour' as const) : ('gb' as const),
    adjustsMonth: null,
    quantity: i === 0 ? '720' : '12.5',
    amount,
    roundedAmount: amount,
  }));
  const total = (amounts.reduce((sum, a) => sum + Math.round(Number(a) * 100), 0) / 100).toFixed(2);
  return {
    format: INVOICE_FORMAT,
    accountId,
    month,
    timeZone: 'Europe/Zurich',
    currency,
    periodStart: Date.parse(`${month}-01T00:00:00+01:00`),
    periodEnd: Date.parse(`${month}-01T00:00:00+01:00`) + 30 * 86_400_000,
    lines,
    subtotal: total,
    creditApplied: '0.00',
    total,
    creditRemaining: '0',
  };
}

export async function insertFinalized(
  db: Queryable,
  invoice: InvoiceDraft,
  number: string,
  finalizedAt = new Date('2026-11-04T00:00:00Z'),
): Promise<void> {
  await db.query(
    `INSERT INTO invoices (account_id, month, currency, kind, status, issuer, number, total, content, content_hash,
                           finalized_at)
     VALUES ($1, $2, $3, 'regular', 'finalized', 'tally', $4, $5, $6, $7, $8)`,
    [
      invoice.accountId,
      invoice.month,
      invoice.currency,
      number,
      invoice.total,
      JSON.stringify(invoice),
      invoiceHash(invoice),
      finalizedAt,
    ],
  );
}

export async function insertDraft(db: Queryable, invoice: InvoiceDraft): Promise<void> {
  await db.query(
    `INSERT INTO invoices (account_id, month, currency, kind, status, total, content, content_hash)
     VALUES ($1, $2, $3, 'regular', 'draft', $4, $5, $6)`,
    [invoice.accountId, invoice.month, invoice.currency, invoice.total, JSON.stringify(invoice), invoiceHash(invoice)],
  );
}

/** A deterministic pseudo-random generator (mulberry32), so seeded data is the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `instances` instances of one account over `hours` hours from `start`, with seeded counters. */
export function usageRows(
  accountId: string,
  instances: number,
  start: number,
  hours: number,
  seed = 1,
  types: readonly string[] = ['s1.small', 's1.medium', 'm1.large'],
): UsageHourly[] {
  const random = seeded(seed);
  const rows: UsageHourly[] = [];
  for (let n = 0; n < instances; n += 1) {
    const instanceId = `${accountId}-i${String(n).padStart(4, '0')}`;
    const instanceType = types[n % types.length]!;
    for (let h = 0; h < hours; h += 1) {
      const slots = 1 + Math.floor(random() * 120);
      rows.push({
        instanceId,
        accountId,
        instanceType,
        hourStart: start + h * 3_600_000,
        runningSeconds: slots * 30,
        rxBytes: Math.floor(random() * 5e9),
        txBytes: Math.floor(random() * 5e9),
        rxPackets: Math.floor(random() * 1e6),
        txPackets: Math.floor(random() * 1e6),
        cpuSeconds: (Math.floor(random() * 360_000) / 100).toFixed(2),
        counted: [{ interfaceId: 'eth0', slots: Array.from({ length: slots }, (_, i) => i) }],
        version: 1,
      });
    }
  }
  return rows;
}
