/**
 * The HTTP API under load (autocannon), as a separate process over real HTTP on the local PostgreSQL:
 * 1. the usage route of one account with BENCH_API_INSTANCES instances (default 500) running every hour of a
 *    30-day month (360 000 instance-hours), each request with the range's totals:
 *    - the first page (100 items) by day and instance, and the whole month by SKU (UTC);
 *    - the first page (100 items) by hour and instance (what the console pages through);
 *    - by day and instance type in Europe/Zurich (local days cut UTC days in two: read from usage_hourly);
 * 2. one finalized invoice as a PDF (libs/invoice-pdf, rendered per request).
 * Every request is authenticated (a token lookup) and logged at info, as in production; the rate limit is lifted.
 * Each run lasts BENCH_API_SECONDS (default 10) with BENCH_API_CONNECTIONS (default 10). The last line is JSON.
 *
 * A/B: BENCH_API_MAIN_B names another API entry (an older version checked out beside this one, e.g. with
 * `git worktree add /tmp/before <commit>` and `pnpm install --offline` there); both run on the same seeded schema,
 * interleaved, BENCH_API_ROUNDS times (default 2 with B, 1 without).
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
const apiMainB = process.env['BENCH_API_MAIN_B'];
const ROUNDS = Number(process.env['BENCH_API_ROUNDS'] ?? (apiMainB === undefined ? 1 : 2));

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

const MONTH = `from=2026-10-01T00:00:00Z&to=2026-10-31T00:00:00Z`;
const USAGE = '/v1/accounts/bench-acct/usage';
/** What is loaded, by name: the usage pages, then the PDF. */
const PATHS: Record<string, string> = {
  usageDayByInstance: `${USAGE}?${MONTH}&bucket=day&groupBy=instance&limit=100`,
  usageMonthBySku: `${USAGE}?${MONTH}&bucket=month&groupBy=sku`,
  usageHourByInstance: `${USAGE}?${MONTH}&bucket=hour&groupBy=instance&limit=100`,
  usageZurichDayByType: `${USAGE}?${MONTH}&bucket=day&groupBy=instanceType&timeZone=Europe/Zurich&limit=100`,
  pdf: '/v1/invoices/INV-2026-000001/pdf',
};

/** Starts one API process on the seeded schema, loads each path in turn, stops it. */
async function measure(
  main: string,
  databaseUrl: string,
  schema: string,
  token: string,
  child: { current: ReturnType<typeof startNodeChild> | undefined },
): Promise<Record<string, Figures>> {
  const port = await freePort();
  child.current = startNodeChild(main, {
    DATABASE_URL: databaseUrl,
    DB_SCHEMA: schema,
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
  const check = await fetch(`${base}${PATHS['usageDayByInstance']!}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const page = (await check.json()) as { items: unknown[]; totals: { instanceHours: number } };
  if (page.totals.instanceHours !== INSTANCES * HOURS) {
    throw new Error(`usage totals ${page.totals.instanceHours} ≠ ${INSTANCES * HOURS}`);
  }
  const figures: Record<string, Figures> = {};
  for (const [name, path] of Object.entries(PATHS)) figures[name] = await load(`${base}${path}`, token);
  child.current.process.kill('SIGTERM');
  const code = await child.current.exited;
  child.current = undefined;
  if (code !== 0) throw new Error(`the API exited with ${code}`);
  return figures;
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
    // VACUUM as well: the covering index of 0121 answers from the index only on pages vacuum marked all-visible.
    await db.pool.query('VACUUM ANALYZE usage_hourly');
    await db.pool.query('VACUUM ANALYZE usage_daily');
    const amounts = Array.from({ length: 12 }, (_, i) => `${(i + 1) * 7}.35`);
    await insertFinalized(db.pool, testInvoice('bench-acct', '2026-10', 'CHF', amounts), 'INV-2026-000001');
    const token = (await createToken(db.pool, 'bench', 'support')).token;
    const seedSeconds = (performance.now() - seedStart) / 1000;
    console.log(`seeded ${INSTANCES} instances × ${HOURS} hours in ${seedSeconds.toFixed(1)} s`);

    const variants =
      apiMainB === undefined
        ? [{ name: 'A', main: apiMain }]
        : [
            { name: 'A', main: apiMain },
            { name: 'B', main: apiMainB },
          ];
    const results: Record<string, Record<string, Figures>>[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      const figures: Record<string, Record<string, Figures>> = {};
      for (const variant of variants) {
        figures[variant.name] = await measure(variant.main, databaseUrl, db.schema, token, child);
        console.log(`round ${round} ${variant.name} (${variant.main}): ${JSON.stringify(figures[variant.name])}`);
      }
      results.push(figures);
    }
    console.log(
      JSON.stringify({
        bench: 'api',
        instances: INSTANCES,
        hours: HOURS,
        instanceHours: INSTANCES * HOURS,
        seconds: SECONDS,
        connections: CONNECTIONS,
        variants: Object.fromEntries(variants.map((v) => [v.name, v.main])),
        rounds: results,
      }),
    );
  } finally {
    child.current?.process.kill('SIGTERM');
    await db.drop();
  }
}
