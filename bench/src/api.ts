/**
 * The HTTP API under load (autocannon), as a separate process over real HTTP on the local PostgreSQL:
 * 1. the usage route of one account with BENCH_API_INSTANCES instances (default 500) running every hour of a
 *    30-day month: the first page (100 items) by day and instance, and the whole month by SKU (both aggregate all
 *    360 000 instance-hours per request, and compute the range's totals);
 * 2. one finalized invoice as a PDF (libs/invoice-pdf, rendered per request).
 * Every request is authenticated (a token lookup) and logged at info, as in production; the rate limit is lifted.
 * Each run lasts BENCH_API_SECONDS (default 10) with BENCH_API_CONNECTIONS (default 10). The last line is JSON.
 */
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createToken } from '@tally/cli/tokens';
import { createTestDatabase } from '@tally/db';
import { connectionEnv, loadConfig } from '@tally/config';
import {
  insertAccounts,
  insertFinalized,
  insertUsage,
  testAccount,
  testInvoice,
  usageRows,
} from '@tally/api/test-seed';
import { eventually, startNodeChild } from '@tally/testing';
import autocannon from 'autocannon';

const INSTANCES = Number(process.env['BENCH_API_INSTANCES'] ?? 500);
const SECONDS = Number(process.env['BENCH_API_SECONDS'] ?? 10);
const CONNECTIONS = Number(process.env['BENCH_API_CONNECTIONS'] ?? 10);
const MONTH_START = Date.parse('2026-10-01T00:00:00Z');
const HOURS = 30 * 24;
const apiMain = fileURLToPath(new URL('../../services/api/src/main.ts', import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

interface Figures {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
}

async function load(url: string, token: string): Promise<Figures> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    headers: { authorization: `Bearer ${token}` },
  });
  return {
    requestsPerSecond: Math.round(result.requests.average * 10) / 10,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

export async function run(): Promise<void> {
  // Only PostgreSQL is needed (the operator routes, which read Kafka, are not measured): `./pnpm stack up` starts it.
  const databaseUrl = loadConfig(connectionEnv).DATABASE_URL;
  const db = await createTestDatabase(databaseUrl).catch((error: unknown) => {
    throw new Error(`no PostgreSQL at DATABASE_URL (./pnpm stack up starts one): ${String(error)}`);
  });
  const child = { current: undefined as ReturnType<typeof startNodeChild> | undefined };
  try {
    const seedStart = performance.now();
    await insertAccounts(db.pool, [testAccount({ accountId: 'bench-acct' })]);
    // A month of one account, written an instance at a time to keep memory flat.
    for (let i = 0; i < INSTANCES; i += 50) {
      const rows = usageRows('bench-acct', Math.min(50, INSTANCES - i), MONTH_START, HOURS, i + 1).map((row, n) => ({
        ...row,
        instanceId: `bench-acct-i${String(i + Math.floor(n / HOURS)).padStart(4, '0')}`,
      }));
      await insertUsage(db.pool, rows);
    }
    await db.pool.query('ANALYZE usage_hourly');
    const amounts = Array.from({ length: 12 }, (_, i) => `${(i + 1) * 7}.35`);
    await insertFinalized(db.pool, testInvoice('bench-acct', '2026-10', 'CHF', amounts), 'INV-2026-000001');
    const token = (await createToken(db.pool, 'bench', 'support')).token;
    const seedSeconds = (performance.now() - seedStart) / 1000;
    console.log(`seeded ${INSTANCES} instances × ${HOURS} hours in ${seedSeconds.toFixed(1)} s`);

    const port = await freePort();
    child.current = startNodeChild(apiMain, {
      DATABASE_URL: databaseUrl,
      DB_SCHEMA: db.schema,
      API_PORT: String(port),
      API_RATE_LIMIT_PER_MINUTE: '1000000000',
      LOG_LEVEL: 'info',
      TALLY_ISSUER_NAME: 'Tally Cloud AG',
      TALLY_ISSUER_LINE1: 'Seestrasse 5',
      TALLY_ISSUER_CITY: 'Bern',
      TALLY_ISSUER_COUNTRY: 'CH',
      TALLY_ISSUER_TAX_ID: 'CHE-123.456.789 MWST',
    });
    const base = `http://127.0.0.1:${port}`;
    const up = await eventually(
      () =>
        fetch(`${base}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      30_000,
    );
    if (!up) throw new Error(`the API did not start:\n${child.current.output()}`);

    const month = `from=2026-10-01T00:00:00Z&to=2026-10-31T00:00:00Z`;
    const usagePath = `/v1/accounts/bench-acct/usage?${month}&bucket=day&groupBy=instance&limit=100`;
    const check = await fetch(`${base}${usagePath}`, { headers: { authorization: `Bearer ${token}` } });
    const page = (await check.json()) as { items: unknown[]; totals: { instanceHours: number } };
    if (page.totals.instanceHours !== INSTANCES * HOURS) {
      throw new Error(`usage totals ${page.totals.instanceHours} ≠ ${INSTANCES * HOURS}`);
    }
    const usageByDay = await load(`${base}${usagePath}`, token);
    console.log(`usage (day × instance, page of 100): ${JSON.stringify(usageByDay)}`);
    const usageBySku = await load(`${base}/v1/accounts/bench-acct/usage?${month}&bucket=month&groupBy=sku`, token);
    console.log(`usage (month × SKU): ${JSON.stringify(usageBySku)}`);
    const pdf = await load(`${base}/v1/invoices/INV-2026-000001/pdf`, token);
    console.log(`invoice PDF: ${JSON.stringify(pdf)}`);

    child.current.process.kill('SIGTERM');
    const code = await child.current.exited;
    child.current = undefined;
    console.log(
      JSON.stringify({
        bench: 'api',
        instances: INSTANCES,
        hours: HOURS,
        instanceHours: INSTANCES * HOURS,
        seconds: SECONDS,
        connections: CONNECTIONS,
        usageByDay,
        usageBySku,
        pdf,
        apiExitCode: code,
      }),
    );
  } finally {
    child.current?.process.kill('SIGTERM');
    await db.drop();
  }
}
