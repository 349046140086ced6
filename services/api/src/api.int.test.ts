/**
 * The API on a real PostgreSQL schema of its own: tokens and roles (401 and 403 on every route), problem+json, usage
 * totals and pages against the table, one instance-hour's windows, invoices as JSON, CSV, PDF and the month's
 * export against what billing stores and the CLI prints, drafts, rate limiting, and the request log.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { initialState } from '@tally/abuse';
import { invoiceCsv, invoicesJson, loadFinalizedOfMonth } from '@tally/billing/runtime';
import { apiRoles, createToken, revokeToken, type ApiRole } from '@tally/cli/tokens';
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import { createLogger } from '@tally/log';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type RouteInfo } from './app.ts';
import type { ApiDeps } from './deps.ts';
import {
  insertAccounts,
  insertDraft,
  insertFinalized,
  insertUsage,
  testAccount,
  testInvoice,
  usageRows,
} from './test-seed.ts';
import { testApiDeps } from './test-app.ts';

const endpoints = loadConfig(connectionEnv);
const NOW = Date.parse('2026-11-15T12:00:00Z');
const START = Date.parse('2026-10-30T20:00:00Z');
const HOURS = 60;
const usage = [
  ...usageRows('acct-a', 5, START, HOURS, 1),
  ...usageRows('acct-b', 2, START, HOURS, 2), // another account: never in acct-a's figures
];

let db: TestDatabase;
let app: FastifyInstance;
let routes: RouteInfo[];
const tokens = {} as Record<ApiRole, string>;
let revoked: string;
const logLines: string[] = [];

function deps(overrides: Partial<ApiDeps> = {}): ApiDeps {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  // Operator routes are exercised against the broker in ops.int.test.ts; here they only need to be reachable.
  return testApiDeps(db, createLogger('api-test', 'info', sink), { now: () => NOW, ...overrides });
}

beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
  await insertAccounts(db.pool, [
    testAccount(),
    testAccount({ accountId: 'acct-b', name: 'Beta GmbH', currency: 'EUR', timeZone: 'UTC', address: null }),
  ]);
  await insertUsage(db.pool, usage);
  await insertFinalized(db.pool, testInvoice('acct-a', '2026-10', 'CHF', ['120.40', '3.15']), 'INV-2026-000001');
  await insertFinalized(db.pool, testInvoice('acct-b', '2026-10', 'EUR', ['7.00', '=1+1']), 'INV-2026-000002');
  await insertDraft(db.pool, testInvoice('acct-a', '2026-11', 'CHF', ['60.20', '1.05']));
  // An account abuse suspended, with a clearance a person recorded for the open hour (not applied yet).
  const hour = Date.parse('2026-11-10T02:00:00Z') / 3_600_000;
  const state = {
    ...initialState('acct-a'),
    status: 'suspended' as const,
    reason: 'mining on free credit: 3 hours near full vCPU',
    sinceHour: hour,
    version: 2,
    evidence: [{ name: 'cpuRatio', value: '0.993' }],
    history: [
      { from: 'good' as const, to: 'watch' as const, hour: hour - 2, reason: 'possible mining', evidence: [] },
      {
        from: 'watch' as const,
        to: 'suspended' as const,
        hour,
        reason: 'mining',
        evidence: [{ name: 'cpuRatio', value: '0.993' }],
      },
    ],
  };
  await db.pool.query(
    `INSERT INTO abuse_states (account_id, state, open_hour, status, version) VALUES ('acct-a', $1, $2, 'suspended', 2)`,
    [JSON.stringify(state), hour + 1],
  );
  await db.pool.query(
    `INSERT INTO abuse_clearances (account_id, hour, cleared_by, reason) VALUES ('acct-a', $1, 'alice', 'a research cluster')`,
    [hour + 1],
  );
  for (const role of apiRoles) tokens[role] = (await createToken(db.pool, `t-${role}`, role)).token;
  revoked = (await createToken(db.pool, 't-revoked', 'admin')).token;
  await revokeToken(db.pool, 't-revoked');
  ({ app, routes } = await buildApp(deps()));
  await app.ready();
}, 120_000);

afterAll(async () => {
  await app.close();
  await db.drop();
});

const get = (url: string, role?: string) =>
  app.inject({
    method: 'GET',
    url,
    headers: role === undefined ? {} : { authorization: `Bearer ${(tokens as Record<string, string>)[role] ?? role}` },
  });

/** A concrete URL for a route pattern: path parameters filled with harmless values. */
const concrete = (url: string) =>
  url
    .replace(':accountId', 'acct-a')
    .replace(':instanceId', 'acct-a-i0000')
    .replace(':hourStart', '2026-10-31T00:00:00Z')
    .replace(':number', 'INV-2026-000001')
    .replace(':id', 'tok_00000000');

describe('tokens and roles', () => {
  it('registers the routes the README lists, each with roles', () => {
    expect(routes.map((r) => `${r.method} ${r.url}`).sort()).toEqual(
      [
        'GET /v1/me',
        'GET /v1/accounts',
        'GET /v1/accounts/:accountId/usage',
        'GET /v1/instances/:instanceId/usage',
        'GET /v1/instances/:instanceId/hours/:hourStart',
        'GET /v1/accounts/:accountId/invoices',
        'GET /v1/accounts/:accountId/abuse',
        'GET /v1/accounts/:accountId/invoices/draft',
        'GET /v1/invoices/:number',
        'GET /v1/invoices/:number/csv',
        'GET /v1/invoices/:number/pdf',
        'GET /v1/invoices',
        'GET /v1/ops/status',
        'GET /v1/ops/dead-letters',
        'GET /v1/ops/late',
        'GET /v1/tokens',
        'POST /v1/tokens',
        'DELETE /v1/tokens/:id',
      ].sort(),
    );
    for (const route of routes) expect(route.roles?.length, route.url).toBeGreaterThan(0);
  });

  it('answers 401 without a valid live token and 403 to every role not allowed, on every route', async () => {
    expect(routes.length).toBeGreaterThan(10);
    for (const route of routes) {
      const url = concrete(route.url);
      const wrongTokens: Record<string, string | undefined> = {
        none: undefined,
        garbage: 'not-a-token',
        unknown: `tally_${'A'.repeat(43)}`,
        revoked,
      };
      for (const [what, token] of Object.entries(wrongTokens)) {
        const response = await app.inject({
          method: route.method as 'GET',
          url,
          headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        });
        expect(response.statusCode, `${route.method} ${route.url} with ${what} token`).toBe(401);
        expect(response.headers['www-authenticate']).toBe('Bearer realm="tally"');
      }
      for (const role of apiRoles) {
        const response = await app.inject({
          method: route.method as 'GET',
          url,
          headers: { authorization: `Bearer ${tokens[role]}` },
        });
        const allowed = route.roles!.includes(role);
        if (allowed) expect([401, 403], `${route.method} ${route.url} as ${role}`).not.toContain(response.statusCode);
        else expect(response.statusCode, `${route.method} ${route.url} as ${role}`).toBe(403);
      }
    }
  }, 60_000);

  it('admins make and revoke tokens; a revoked token stops working at once', async () => {
    const made = await app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: { authorization: `Bearer ${tokens.admin}` },
      payload: { name: 'bob', role: 'finance' },
    });
    expect(made.statusCode).toBe(201);
    const body = made.json<{ id: string; token: string; role: string }>();
    expect(body.role).toBe('finance');
    expect((await get('/v1/me', body.token)).json()).toEqual({ name: 'bob', role: 'finance' });
    const listed = (await get('/v1/tokens', 'admin')).json<{ items: { name: string }[] }>();
    expect(listed.items.map((t) => t.name)).toContain('bob');
    expect(JSON.stringify(listed)).not.toContain(body.token);
    const again = await app.inject({
      method: 'POST',
      url: '/v1/tokens',
      headers: { authorization: `Bearer ${tokens.admin}` },
      payload: { name: 'bob', role: 'support' },
    });
    expect(again.statusCode).toBe(409);
    const gone = await app.inject({
      method: 'DELETE',
      url: `/v1/tokens/${body.id}`,
      headers: { authorization: `Bearer ${tokens.admin}` },
    });
    expect(gone.statusCode).toBe(200);
    expect((await get('/v1/me', body.token)).statusCode).toBe(401);
  });

  it('logs every request with the token name and role, never the token', async () => {
    logLines.length = 0;
    await get('/v1/me', 'support');
    await get('/v1/me', 'nope');
    const requests = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l['msg'] === 'request');
    expect(requests).toEqual([
      expect.objectContaining({ url: '/v1/me', status: 200, tokenName: 't-support', role: 'support' }),
      expect.objectContaining({ url: '/v1/me', status: 401, tokenName: null }),
    ]);
    for (const token of Object.values(tokens)) expect(logLines.join('\n')).not.toContain(token);
  });
});

describe('problem+json', () => {
  it('sends RFC 9457 documents for auth, validation, missing things and unknown routes', async () => {
    const cases = [
      { url: '/v1/me', role: undefined, status: 401 },
      { url: '/v1/tokens', role: 'support', status: 403 },
      { url: '/v1/accounts/acct-a/usage?from=yesterday&to=2026-11-01T00:00:00Z', role: 'support', status: 400 },
      { url: '/v1/invoices/INV-9999', role: 'finance', status: 404 },
      { url: '/v1/nothing-here', role: 'finance', status: 404 },
    ];
    for (const c of cases) {
      const response = await get(c.url, c.role);
      expect(response.statusCode, c.url).toBe(c.status);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      const body = response.json<Record<string, unknown>>();
      expect(body).toMatchObject({ type: 'about:blank', status: c.status, instance: c.url.split('?')[0] });
      expect(typeof body['title']).toBe('string');
      expect(typeof body['detail']).toBe('string');
    }
    const invalid = (await get('/v1/accounts/acct-a/usage?from=yesterday&to=2026-11-01T00:00:00Z', 'support')).json<{
      errors: { path: string }[];
    }>();
    expect(invalid.errors.map((e) => e.path)).toContain('from');
  });
});

describe('usage', () => {
  const range = 'from=2026-10-30T00:00:00Z&to=2026-11-03T00:00:00Z';
  const mine = usage.filter((u) => u.accountId === 'acct-a');
  const sum = (rows: typeof usage, f: (u: (typeof usage)[number]) => number) =>
    rows.reduce((s, u) => s + BigInt(f(u)), 0n).toString();

  it("totals equal the account's rows, in the table and in what was written", async () => {
    const page = (await get(`/v1/accounts/acct-a/usage?${range}&bucket=day&timeZone=Europe/Zurich`, 'support')).json<{
      totals: Record<string, unknown>;
    }>();
    const table = await db.pool.query<Record<string, string>>(
      `SELECT count(*)::int AS n, sum(running_seconds)::text AS rs, sum(tx_bytes)::text AS tx, sum(rx_bytes)::text AS rx,
              sum(cpu_seconds)::text AS cpu FROM usage_hourly WHERE account_id = 'acct-a'`,
    );
    expect(page.totals).toMatchObject({
      instanceHours: table.rows[0]!['n'],
      runningSeconds: table.rows[0]!['rs'],
      txBytes: table.rows[0]!['tx'],
      rxBytes: table.rows[0]!['rx'],
    });
    expect(page.totals).toMatchObject({
      instanceHours: mine.length,
      runningSeconds: sum(mine, (u) => u.runningSeconds),
      txBytes: sum(mine, (u) => u.txBytes),
      rxPackets: sum(mine, (u) => u.rxPackets),
    });
    expect(Number(page.totals['cpuSeconds'])).toBeCloseTo(Number(table.rows[0]!['cpu']), 6);
  });

  it('pages through every (period, group) once, in order, and the pages add up to the totals', async () => {
    for (const groupBy of ['instance', 'instanceType', 'sku'] as const) {
      const base = `/v1/accounts/acct-a/usage?${range}&bucket=day&timeZone=Europe/Zurich&groupBy=${groupBy}`;
      const whole = (await get(`${base}&limit=1000`, 'support')).json<{ items: { period: string; group: string }[] }>();
      const pages: { period: string; group: string }[] = [];
      let cursor: string | null = null;
      let count = 0;
      do {
        const response = await get(`${base}&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`, 'support');
        expect(response.statusCode).toBe(200);
        const page = response.json<{ items: { period: string; group: string }[]; nextCursor: string | null }>();
        expect(page.items.length).toBeLessThanOrEqual(2);
        pages.push(...page.items);
        cursor = page.nextCursor;
        count += 1;
      } while (cursor !== null && count < 100);
      expect(pages).toEqual(whole.items);
      expect(new Set(pages.map((p) => `${p.period}|${p.group}`)).size).toBe(pages.length);
    }
  });

  it('buckets by local day and groups by instance, type and SKU with sums equal to the rows', async () => {
    const byInstance = (
      await get(`/v1/accounts/acct-a/usage?${range}&bucket=day&timeZone=Europe/Zurich&limit=1000`, 'support')
    ).json<{ items: { period: string; group: string; runningSeconds: string; instanceHours: number }[] }>();
    // Local midnight in Zurich: 23:00 UTC in winter (CET), 22:00 in summer (CEST until 2026-10-25).
    expect(new Set(byInstance.items.map((i) => i.period))).toEqual(
      new Set([
        '2026-10-29T23:00:00.000Z',
        '2026-10-30T23:00:00.000Z',
        '2026-10-31T23:00:00.000Z',
        '2026-11-01T23:00:00.000Z',
      ]),
    );
    const localDay = (at: number) => new Date(at + 3_600_000).toISOString().slice(0, 10);
    for (const item of byInstance.items) {
      const rows = mine.filter(
        (u) => u.instanceId === item.group && localDay(u.hourStart) === localDay(Date.parse(item.period) + 3_600_000),
      );
      expect(item.instanceHours).toBe(rows.length);
      expect(item.runningSeconds).toBe(sum(rows, (u) => u.runningSeconds));
    }
    const bySku = (
      await get(`/v1/accounts/acct-a/usage?${range}&bucket=month&groupBy=sku&limit=1000`, 'support')
    ).json<{ items: { period: string; group: string; unit: string; baseUnits: string; quantity: string }[] }>();
    const egress = bySku.items.filter((i) => i.group === 'egress.gb');
    expect(egress.reduce((s, i) => s + BigInt(i.baseUnits), 0n).toString()).toBe(sum(mine, (u) => u.txBytes));
    const compute = bySku.items.find((i) => i.group === 'compute.s1.small' && i.period.startsWith('2026-11'))!;
    expect(compute.unit).toBe('hour');
    // Exact: seconds ÷ 3600, shown as billing shows quantities.
    expect(Number(compute.quantity)).toBeCloseTo(Number(compute.baseUnits) / 3600, 9);
    const byType = (
      await get(`/v1/instances/acct-a-i0001/usage?${range}&bucket=hour&groupBy=instanceType&limit=1000`, 'support')
    ).json<{ items: { group: string }[] }>();
    expect(byType.items).toHaveLength(HOURS);
    expect(new Set(byType.items.map((i) => i.group))).toEqual(new Set(['s1.medium']));
  });

  it("shows one instance-hour's counted windows per interface", async () => {
    const row = mine.find(
      (u) => u.instanceId === 'acct-a-i0002' && u.hourStart === Date.parse('2026-10-31T03:00:00Z'),
    )!;
    const response = await get('/v1/instances/acct-a-i0002/hours/2026-10-31T03:00:00Z', 'support');
    expect(response.statusCode).toBe(200);
    const hour = response.json<{
      runningSeconds: string;
      interfaces: {
        interfaceId: string;
        countedWindows: number;
        windows: { slot: number; windowStart: string; counted: boolean }[];
      }[];
    }>();
    expect(hour.runningSeconds).toBe(String(row.runningSeconds));
    expect(hour.interfaces).toHaveLength(1);
    const eth0 = hour.interfaces[0]!;
    expect(eth0.windows).toHaveLength(120);
    expect(eth0.windows.filter((w) => w.counted).map((w) => w.slot)).toEqual(row.counted[0]!.slots);
    expect(eth0.countedWindows * 30).toBe(row.runningSeconds);
    expect(eth0.windows[1]!.windowStart).toBe('2026-10-31T03:00:30.000Z');
    expect((await get('/v1/instances/acct-a-i0002/hours/2026-10-31T03:30:00Z', 'support')).statusCode).toBe(400);
    expect((await get('/v1/instances/acct-a-i0002/hours/2027-10-31T03:00:00Z', 'support')).statusCode).toBe(404);
  });
});

describe('invoices', () => {
  it("lists an account's invoices, newest month first", async () => {
    const list = (await get('/v1/accounts/acct-a/invoices', 'support')).json<{
      items: { month: string; status: string; number: string | null; total: string }[];
    }>();
    expect(list.items.map((i) => [i.month, i.status, i.number, i.total])).toEqual([
      ['2026-11', 'draft', null, '61.25'],
      ['2026-10', 'finalized', 'INV-2026-000001', '123.55'],
    ]);
  });

  it('serves one invoice as the JSON and CSV the CLI exports', async () => {
    const stored = await loadFinalizedOfMonth(db.pool, '2026-10');
    const one = stored.find((i) => i.number === 'INV-2026-000002')!;
    const json = await get('/v1/invoices/INV-2026-000002', 'finance');
    expect(json.statusCode).toBe(200);
    expect(json.json()).toEqual((JSON.parse(invoicesJson([one])) as unknown[])[0]);
    const csv = await get('/v1/invoices/INV-2026-000002/csv', 'support');
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.body).toBe(invoiceCsv([one]));
    expect(csv.body).toContain(`"'=1+1"`.replaceAll('"', '')); // the formula cell is defused, as in the CLI
  });

  it("streams a month's export byte for byte as the CLI prints it", async () => {
    const stored = await loadFinalizedOfMonth(db.pool, '2026-10');
    expect(stored).toHaveLength(2);
    const json = await get('/v1/invoices?month=2026-10', 'finance');
    expect(json.body).toBe(invoicesJson(stored));
    const csv = await get('/v1/invoices?month=2026-10&format=csv', 'finance');
    expect(csv.body).toBe(invoiceCsv(stored));
    expect((await get('/v1/invoices?month=2026-09', 'finance')).body).toBe(invoicesJson([]));
    expect((await get('/v1/invoices?month=2026-09&format=csv', 'finance')).body).toBe(invoiceCsv([]));
  });

  it("shows the draft of the account's current month", async () => {
    const draft = (await get('/v1/accounts/acct-a/invoices/draft', 'finance')).json<{
      month: string;
      items: { invoice: { total: string } }[];
    }>();
    expect(draft.month).toBe('2026-11');
    expect(draft.items.map((i) => i.invoice.total)).toEqual(['61.25']);
    expect((await get('/v1/accounts/acct-zz/invoices/draft', 'finance')).statusCode).toBe(404);
  });

  it('renders the PDF with the number, the lines and the total', async () => {
    const response = await get('/v1/invoices/INV-2026-000001/pdf', 'finance');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/pdf');
    expect(response.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const dir = mkdtempSync(join(tmpdir(), 'api-pdf-'));
    writeFileSync(join(dir, 'i.pdf'), response.rawPayload);
    const text = execFileSync('pdftotext', ['-layout', join(dir, 'i.pdf'), '-'], { encoding: 'utf8' });
    expect(text).toContain('INV-2026-000001');
    expect(text).toContain('Acme AG');
    expect(text).toContain('123.55');
    expect(text).toContain('120.40');
  });
});

describe('abuse', () => {
  it("explains an account's abuse state with its transitions, evidence and pending clearances", async () => {
    const response = await get('/v1/accounts/acct-a/abuse', 'support');
    expect(response.statusCode).toBe(200);
    const body = response.json<{
      decision: {
        status: string;
        sinceHour: number;
        history: { to: string; hourStart: number }[];
        evidence: unknown[];
      };
      pendingClearances: { clearedBy: string; reason: string }[];
    }>();
    expect(body.decision.status).toBe('suspended');
    expect(body.decision.sinceHour).toBe(Date.parse('2026-11-10T02:00:00Z'));
    expect(body.decision.history.map((h) => h.to)).toEqual(['watch', 'suspended']);
    expect(body.decision.evidence).toEqual([{ name: 'cpuRatio', value: '0.993' }]);
    expect(body.pendingClearances).toEqual([
      expect.objectContaining({ clearedBy: 'alice', reason: 'a research cluster' }),
    ]);
    expect((await get('/v1/accounts/acct-b/abuse', 'support')).statusCode).toBe(404);
    expect((await get('/v1/accounts/acct-a/abuse', 'finance')).statusCode).toBe(403);
  });
});

describe('rate limit', () => {
  it('answers 429 problem+json once a token has used its requests, per token', async () => {
    const limited = await buildApp(deps({ rateLimitPerMinute: 5 }));
    try {
      const codes: number[] = [];
      for (let i = 0; i < 7; i += 1) {
        const response = await limited.app.inject({
          url: '/v1/me',
          headers: { authorization: `Bearer ${tokens.support}` },
        });
        codes.push(response.statusCode);
        if (response.statusCode === 429) {
          expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(response.json()).toMatchObject({ status: 429, title: 'Too Many Requests' });
          expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
        }
      }
      expect(codes).toEqual([200, 200, 200, 200, 200, 429, 429]);
      // Another token has its own budget.
      const other = await limited.app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${tokens.finance}` } });
      expect(other.statusCode).toBe(200);
    } finally {
      await limited.app.close();
    }
  });
});

describe('OpenAPI', () => {
  it('documents every route at /openapi.json and serves docs at /docs', async () => {
    const doc = (await get('/openapi.json')).json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(doc.openapi).toMatch(/^3\./);
    for (const route of routes) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      expect(Object.keys(doc.paths), path).toContain(path);
    }
    const docs = await app.inject({ url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
  });
});
