/**
 * `tally invoice pdf` on invoices billing itself finalized in PostgreSQL: accounts, prices and usage stored as
 * billing's consumers store them, billing's finalizer numbers and stores the invoices, the command prints them, and
 * poppler's pdftotext reads back number, every line with its amount, and the total against the stored invoice, in
 * JPY (0 decimals), USD (2) and KWD (3), and over several pages. An account row stored before accounts had an address
 * (no address, no unsubscribed) still prints.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { priceEntryKey } from '@tally/billing';
import { finalizeDue } from '@tally/billing/runtime';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import type { PdfInvoice } from '@tally/invoice-pdf';
import { expectInvoiceText, pdfText } from '@tally/invoice-pdf/testing';
import { createLogger } from '@tally/log';
import type { Account, PriceEntry, UsageHourly } from '@tally/records';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandIo } from './command.ts';
import { dispatch } from './dispatch.ts';
import { invoicePdf } from './invoice-pdf.ts';

const NOW = Date.parse('2026-11-10T00:00:00Z'); // October 2026 plus 72 h grace has passed in every zone
const HOUR = 3_600_000;
const issuerEnv = {
  TALLY_ISSUER_NAME: 'Tally Cloud AG',
  TALLY_ISSUER_LINE1: 'Hardturmstrasse 3',
  TALLY_ISSUER_CITY: 'Zurich',
  TALLY_ISSUER_POSTAL_CODE: '8005',
  TALLY_ISSUER_COUNTRY: 'CH',
  TALLY_ISSUER_TAX_ID: 'CHE-123.456.789 MWST',
  TALLY_ISSUER_PAYMENT_TERMS_DAYS: '14',
};

function account(id: string, currency: string, timeZone: string, extra: Partial<Account> = {}): Account {
  return {
    accountId: id,
    name: `Customer ${id}`,
    email: `${id}@example.com`,
    plan: 'paying',
    freeCredit: '0',
    currency,
    timeZone,
    createdAt: Date.UTC(2025, 0, 1),
    address: null,
    unsubscribed: false,
    ...extra,
  };
}

const accounts = {
  usd: account('pdf-usd', 'USD', 'America/New_York', {
    freeCredit: '5.00',
    address: {
      line1: '1 Main Street',
      line2: 'Suite 9',
      city: 'Springfield',
      postalCode: '12345',
      region: 'NY',
      country: 'US',
    },
  }),
  jpy: account('pdf-jpy', 'JPY', 'Asia/Tokyo'),
  kwd: account('pdf-kwd', 'KWD', 'UTC', {
    address: { line1: 'Block 3', line2: '', city: 'Kuwait City', postalCode: '13001', region: '', country: 'KW' },
  }),
  long: account('pdf-long', 'USD', 'UTC'),
};

const unitPrices = { USD: '0.0417', JPY: '6.3', KWD: '0.0129' } as const;
const types = (n: number) => Array.from({ length: n }, (_, i) => `t${String(i).padStart(3, '0')}.medium`);
const typesOf = (a: Account): string[] => (a === accounts.long ? types(150) : types(3));

let db: TestDatabase;
let dir: string;

async function seed(): Promise<void> {
  const all = Object.values(accounts);
  for (const a of all) {
    // The JPY account's row is as billing stored it before accounts gained address and unsubscribed.
    const { address: _a, unsubscribed: _u, ...old } = a;
    await db.pool.query('INSERT INTO billing_accounts (account_id, currency, record) VALUES ($1, $2, $3)', [
      a.accountId,
      a.currency,
      JSON.stringify(a === accounts.jpy ? old : a),
    ]);
  }
  const entries: PriceEntry[] = [];
  for (const currency of ['USD', 'JPY', 'KWD'] as const) {
    for (const type of types(150)) {
      entries.push({
        sku: `compute.${type}`,
        currency,
        effectiveFrom: Date.UTC(2025, 0, 1),
        unit: 'hour',
        model: { kind: 'per_unit', unitPrice: unitPrices[currency] },
      });
    }
    entries.push({
      sku: 'egress.gb',
      currency,
      effectiveFrom: Date.UTC(2025, 0, 1),
      unit: 'gb',
      model: { kind: 'per_unit', unitPrice: { USD: '0.09', JPY: '13', KWD: '0.027' }[currency] },
    });
  }
  for (const e of entries) {
    await db.pool.query(
      'INSERT INTO billing_prices (key, sku, currency, effective_from, entry) VALUES ($1, $2, $3, $4, $5)',
      [priceEntryKey(e), e.sku, e.currency, e.effectiveFrom, JSON.stringify(e)],
    );
  }
  const usage: UsageHourly[] = [];
  for (const a of all) {
    typesOf(a).forEach((type, i) => {
      // Hours on 10-12 October UTC: inside October in every zone; seconds that make non-terminating hour quantities.
      for (let h = 0; h < 2 + (i % 3); h++) {
        usage.push({
          instanceId: `${a.accountId}-i${i}`,
          accountId: a.accountId,
          instanceType: type,
          hourStart: Date.UTC(2026, 9, 10) + (i % 48) * HOUR + h * HOUR,
          runningSeconds: 3600 - 7 * i,
          rxBytes: 0,
          txBytes: 1_234_567_891 * (i + 1),
          rxPackets: 0,
          txPackets: 0,
          cpuSeconds: '0',
          counted: [],
          version: 1,
        });
      }
    });
  }
  for (const u of usage) {
    await db.pool.query(
      'INSERT INTO billing_usage (instance_id, hour_start, account_id, version, record) VALUES ($1, $2, $3, $4, $5)',
      [u.instanceId, u.hourStart, u.accountId, u.version, JSON.stringify(u)],
    );
  }
  await db.pool.query('INSERT INTO billing_dirty_accounts (account_id) SELECT unnest($1::text[])', [
    all.map((a) => a.accountId),
  ]);
}

beforeAll(async () => {
  db = await createTestDatabase(process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test');
  dir = await mkdtemp(join(tmpdir(), 'tally-invoice-pdf-'));
  await seed();
  const outcome = await finalizeDue(db.pool, {
    issuer: 'tally',
    numberPrefix: 'INV',
    graceMs: 72 * HOUR,
    adjustmentMonths: 3,
    batchSize: 50,
    clock: () => NOW,
    gate: ({ now }) => Promise.resolve(now),
    log: createLogger('invoice-pdf-test', 'warn'),
  });
  expect(outcome.finalized).toBe(4);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await db.drop();
});

async function stored(a: Account): Promise<PdfInvoice> {
  const result = await db.pool.query<{ number: string; finalized_at: Date; content: PdfInvoice['content'] }>(
    `SELECT number, finalized_at, content FROM invoices WHERE status = 'finalized' AND account_id = $1`,
    [a.accountId],
  );
  expect(result.rows).toHaveLength(1);
  const row = result.rows[0]!;
  return { number: row.number, finalizedAt: row.finalized_at, content: row.content };
}

async function tally(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; err: string }> {
  let err = '';
  const io: CommandIo = {
    out: () => undefined,
    err: (text) => (err += text),
    env: { DATABASE_URL: db.databaseUrl, DB_SCHEMA: db.schema, ...issuerEnv, ...env },
  };
  return { code: await dispatch([invoicePdf], ['invoice', 'pdf', ...args], io), err };
}

describe('tally invoice pdf', () => {
  it.each([
    ['JPY', accounts.jpy],
    ['USD', accounts.usd],
    ['KWD', accounts.kwd],
  ] as const)('%s: the PDF shows the stored number, lines, amounts and total', async (_, a) => {
    const invoice = await stored(a);
    expect(invoice.content.currency).toBe(a.currency);
    const out = join(dir, `${invoice.number}.pdf`);
    expect(await tally([invoice.number, '--out', out])).toEqual({
      code: 0,
      err: expect.stringContaining(`invoice ${invoice.number} written to ${out}`) as string,
    });
    const text = await pdfText(await readFile(out));
    expect(expectInvoiceText(text, invoice)).toBe(1);
    expect(text).toContain(a.name);
    expect(text).toContain('Tax ID: CHE-123.456.789 MWST');
    expect(text).toContain(`2026-10-01 to 2026-10-31 (${a.timeZone})`);
    // Issued on the finalization day in the account's zone, due 14 days later.
    const issued = new Intl.DateTimeFormat('en-CA', { timeZone: a.timeZone }).format(new Date(NOW));
    expect(text).toMatch(new RegExp(`Issue date\\s+${issued}`));
    expect(invoice.content.lines.length).toBeGreaterThanOrEqual(4); // 3 compute SKUs and egress
  });

  it("prints the customer's address, and an account stored before addresses existed without one", async () => {
    const usd = await pdfText(await readFile(join(dir, `${(await stored(accounts.usd)).number}.pdf`)));
    for (const line of ['1 Main Street', 'Suite 9', '12345 Springfield', 'NY, US']) expect(usd).toContain(line);
    // Its 5.00 free credit covers the month: the credit line takes the whole subtotal.
    const credit = (await stored(accounts.usd)).content.lines.find((l) => l.kind === 'credit');
    expect(credit?.roundedAmount).toMatch(/^-\d+\.\d\d$/);
    expect(usd).toMatch(new RegExp(`Credit applied\\s+${credit!.roundedAmount.replace('.', '\\.')}\\n`));
    expect(usd).toMatch(/Total due \(USD\)\s+0\.00\n/);
    const jpy = await pdfText(await readFile(join(dir, `${(await stored(accounts.jpy)).number}.pdf`)));
    expect(jpy).toMatch(/Customer pdf-jpy\n[^\n]*\s{2}pdf-jpy@example\.com\n/);
  });

  it('a long invoice spans pages; found by account and period', async () => {
    const invoice = await stored(accounts.long);
    expect(invoice.content.lines.length).toBe(151);
    const out = join(dir, 'long.pdf');
    expect((await tally(['--account', accounts.long.accountId, '--period', '2026-10', '--out', out])).code).toBe(0);
    expect(expectInvoiceText(await pdfText(await readFile(out)), invoice)).toBeGreaterThanOrEqual(3);
  });

  it('keeps an existing file unless --force; the same stored invoice gives the same bytes', async () => {
    const invoice = await stored(accounts.kwd);
    const out = join(dir, 'existing.pdf');
    await writeFile(out, 'last month');
    const refused = await tally([invoice.number, '--out', out]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('exists: pass --force');
    expect(await readFile(out, 'utf8')).toBe('last month');
    expect((await tally([invoice.number, '--out', out, '--force'])).code).toBe(0);
    expect((await readFile(out)).equals(await readFile(join(dir, `${invoice.number}.pdf`)))).toBe(true);
  });

  it('fails clearly without an issuer, for an unknown number, and for both a number and an account', async () => {
    const out = join(dir, 'none.pdf');
    const invoice = await stored(accounts.usd);
    const noIssuer = await tally([invoice.number, '--out', out], {
      TALLY_ISSUER_NAME: undefined,
      TALLY_ISSUER_TAX_ID: undefined,
    });
    expect(noIssuer.code).toBe(1);
    expect(noIssuer.err).toMatch(/TALLY_ISSUER_NAME[\s\S]*TALLY_ISSUER_TAX_ID/);
    const unknown = await tally(['INV-1999-000001', '--out', out]);
    expect(unknown).toEqual({
      code: 1,
      err: expect.stringContaining('no finalized invoice INV-1999-000001') as string,
    });
    expect((await tally([invoice.number, '--account', 'x', '--period', '2026-10', '--out', out])).code).toBe(2);
    await expect(stat(out)).rejects.toThrow(/ENOENT/);
  });
});
