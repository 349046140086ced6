import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPool, migrate, quoteIdentifier, type Pool, type ServiceRole } from '@tally/db';
import type { Logger } from '@tally/log';
import { demoDaemon } from './demo-daemon.ts';
import type { DemoOptions } from './demo-options.ts';
import { demoPeriod } from './demo-period.ts';
import { repoRoot, runDir } from './paths.ts';
import type { Endpoints, StackConfig } from './stack-config.ts';
import { Supervisor } from './supervisor.ts';
import { run } from './run-command.ts';
import { ensureServiceLogins } from './service-logins.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';

const HOUR_MS = 3_600_000;
/** Billing's production grace, given to the demo's billing explicitly so the simulated month is chosen to match. */
const DEMO_GRACE_HOURS = 72;
/** The roles `tally db migrate` grants by default; the demo's services log in as members of them. */
const ROLE_PREFIX = 'tally';
const LOGIN_ROLES: readonly ServiceRole[] = ['metering', 'billing', 'abuse', 'api', 'drip', 'mailer', 'readonly'];
/** The support token the demo makes at each start (the previous one revoked), for the console. */
const DEMO_TOKEN_NAME = 'demo-support';
/** Who issues the demo's invoice PDFs, unless TALLY_ISSUER_* says otherwise. */
const DEMO_ISSUER: NodeJS.ProcessEnv = {
  TALLY_ISSUER_NAME: 'Tally Demo AG',
  TALLY_ISSUER_LINE1: 'Demo street 1',
  TALLY_ISSUER_CITY: 'Bern',
  TALLY_ISSUER_POSTAL_CODE: '3000',
  TALLY_ISSUER_COUNTRY: 'CH',
  TALLY_ISSUER_TAX_ID: 'CHE-000.000.000 MWST',
};

const entry = (service: string) => join(repoRoot, 'services', service, 'src', 'main.ts');

interface DemoPorts {
  meteringMetrics: number;
  billingMetrics: number;
  abuseMetrics: number;
  dripMetrics: number;
  mailerMetrics: number;
  api: number;
}

/**
 * Starts the whole pipeline on a running stack: migrates as the owner (DATABASE_URL) and grants the service roles,
 * as `tally db migrate` does; makes a login user per service role (passwords in a pgpass file of the run folder);
 * publishes the demo price book and makes a support token for the console (`tally tokens create`), starts an SMTP
 * sink that keeps each mail as an .eml file, then runs metering, billing, abuse, drip, the mailer, the API with its
 * console and the agent simulator (the last `days` of a closed month, see demo-period.ts) under a supervisor, each
 * logged in as its own role, not the owner. Prints the console's address and token once the API answers, and where
 * to look once the first invoices are finalized. Resolves when `signal` aborts, after every service has stopped.
 */
export async function runDemoPipeline(
  endpoints: Endpoints,
  config: Pick<StackConfig, 'TALLY_DEMO_DB_SCHEMA' | 'TALLY_DEMO_METRICS_PORT' | 'TALLY_DEMO_API_PORT'>,
  options: DemoOptions,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  const schema = config.TALLY_DEMO_DB_SCHEMA;
  const ports: DemoPorts = {
    meteringMetrics: config.TALLY_DEMO_METRICS_PORT,
    billingMetrics: config.TALLY_DEMO_METRICS_PORT + 1,
    abuseMetrics: config.TALLY_DEMO_METRICS_PORT + 2,
    dripMetrics: config.TALLY_DEMO_METRICS_PORT + 3,
    mailerMetrics: config.TALLY_DEMO_METRICS_PORT + 4,
    api: config.TALLY_DEMO_API_PORT,
  };
  await migrate(endpoints.databaseUrl, schema, log, { rolePrefix: ROLE_PREFIX });
  const owner = createPool(endpoints.databaseUrl, { max: 1 });
  const logins = await ensureServiceLogins(
    owner,
    endpoints.databaseUrl,
    ROLE_PREFIX,
    LOGIN_ROLES,
    join(runDir, 'secrets', 'pgpass'),
  ).finally(() => owner.end());
  log.info({ schema }, `database schema ${schema} migrated; services log in as members of the ${ROLE_PREFIX}_* roles`);
  const env: NodeJS.ProcessEnv = {
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
    DB_SCHEMA: schema,
    PGPASSFILE: logins.passFile,
    // It would win over the pgpass file.
    PGPASSWORD: undefined,
  };
  // The agent needs no database; a service without a login of its own gets none rather than the owner's.
  const databaseUrl = (role: ServiceRole): string => {
    const url = logins.urls[role];
    if (url === undefined) throw new Error(`no login made for role ${role}`);
    return url;
  };
  const priceBook = join(repoRoot, 'services', 'billing', 'price-books', 'demo.yaml');
  await run(process.execPath, [entry('cli'), 'prices', 'publish', priceBook], { env: { ...process.env, ...env } });
  log.info({ priceBook }, 'demo price book published');
  // Made while the services start (two CLI runs take seconds); a failure is reported, the pipeline runs on.
  const token = demoToken({ ...process.env, ...env, DATABASE_URL: databaseUrl('api') });

  // A closed month whose grace has passed, so billing finalizes its invoices as soon as it has read everything,
  // whatever the day of the month, and finance's export has something to show.
  const { from, end, month } = demoPeriod(Date.now(), options.days, DEMO_GRACE_HOURS);
  log.info(
    { from: new Date(from).toISOString(), to: new Date(end).toISOString(), month },
    `simulating ${options.days} days of ${month} (${options.hypervisors} hypervisors × ${options.instancesPerHypervisor} instances)`,
  );
  // The simulated history must stay open for updates (invariant 4): retention reaches back past its start.
  const retentionDays = Math.ceil((Date.now() - from) / (24 * HOUR_MS)) + 7;
  const logDir = join(runDir, 'services');
  const sink = await startSmtpSink(join(runDir, 'mail'), log);
  mkdirSync(demoDaemon.dir, { recursive: true });
  writeFileSync(join(demoDaemon.dir, 'pid'), String(process.pid));
  const supervisor = new Supervisor(log, logDir);
  supervisor.start({
    name: 'metering',
    entry: entry('metering'),
    env: {
      ...env,
      DATABASE_URL: databaseUrl('metering'),
      METERING_METRICS_PORT: String(ports.meteringMetrics),
      METERING_RETENTION_DAYS: String(retentionDays),
    },
  });
  supervisor.start({
    name: 'billing',
    entry: entry('billing'),
    env: {
      ...env,
      DATABASE_URL: databaseUrl('billing'),
      BILLING_METRICS_PORT: String(ports.billingMetrics),
      BILLING_GRACE_HOURS: String(DEMO_GRACE_HOURS),
      // Finalize within seconds of catching up rather than the production minute.
      BILLING_FINALIZE_INTERVAL_MS: '5000',
    },
  });
  supervisor.start({
    name: 'abuse',
    entry: entry('abuse'),
    env: {
      ...env,
      DATABASE_URL: databaseUrl('abuse'),
      ABUSE_METRICS_PORT: String(ports.abuseMetrics),
    },
  });
  supervisor.start({
    name: 'drip',
    entry: entry('drip'),
    env: { ...env, DATABASE_URL: databaseUrl('drip'), DRIP_METRICS_PORT: String(ports.dripMetrics) },
  });
  supervisor.start({
    name: 'mailer',
    entry: entry('mailer'),
    env: {
      ...env,
      DATABASE_URL: databaseUrl('mailer'),
      MAILER_METRICS_PORT: String(ports.mailerMetrics),
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(sink.port),
      SMTP_TLS: 'none',
    },
  });
  // Tokens as the API's own role; every read as the read-only one.
  supervisor.start({
    name: 'api',
    entry: entry('api'),
    env: {
      // A PDF needs an issuer: the demo's own unless TALLY_ISSUER_* names one.
      ...(process.env['TALLY_ISSUER_NAME'] === undefined ? DEMO_ISSUER : {}),
      ...env,
      DATABASE_URL: databaseUrl('api'),
      API_READ_DATABASE_URL: databaseUrl('readonly'),
      API_HOST: '127.0.0.1',
      API_PORT: String(ports.api),
      API_CONSOLE_DIR: join(repoRoot, 'services', 'api', 'console'),
    },
  });
  supervisor.start({
    name: 'agent-simulator',
    entry: entry('agent'),
    oneShot: true,
    env: {
      ...env,
      AGENT_MODE: 'simulate',
      AGENT_SEED: String(options.seed),
      AGENT_HYPERVISORS: String(options.hypervisors),
      AGENT_INSTANCES_PER_HYPERVISOR: String(options.instancesPerHypervisor),
      AGENT_PERIOD_FROM: new Date(from).toISOString(),
      AGENT_PERIOD_MINUTES: String(options.days * 24 * 60),
      AGENT_DUPLICATE_FRACTION: '0.02',
      AGENT_REORDER_WINDOW: '64',
      AGENT_SPOOL_DIR: join(runDir, 'agent-spool'),
    },
  });
  log.info({ logs: logDir }, `services started; their logs are in ${logDir}`);

  const pool = createPool(endpoints.databaseUrl, { schema, max: 1 });
  const apiUrl = `http://127.0.0.1:${ports.api}`;
  try {
    let announced = false;
    const consoleAnnounced = announceConsole(apiUrl, token, sink, log, signal);
    while (!signal.aborted) {
      const progress = await readProgress(pool, schema).catch(() => undefined);
      if (progress) {
        const services = supervisor
          .status()
          .map(
            (s) =>
              `${s.name} ${s.done ? 'done' : s.running ? 'up' : 'down'}${s.restarts ? ` (${s.restarts} restarts)` : ''}`,
          )
          .join(', ');
        log.info(
          { ...progress, services },
          `progress: ${progress.usageHours} usage hours, ${progress.invoices} invoices (${progress.finalized} finalized); ${services}`,
        );
        if (!announced && progress.finalized > 0) {
          announced = true;
          printWhereToLook({
            logDir,
            month,
            schema,
            ports,
            readonlyUrl: databaseUrl('readonly'),
            passFile: logins.passFile,
            apiUrl,
            mailDir: sink.dir,
          });
        }
      }
      await sleep(5_000, undefined, { signal }).catch(() => undefined);
    }
    await consoleAnnounced;
  } finally {
    await pool.end();
    log.info('stopping services');
    await supervisor.stop();
    await sink.close();
    rmSync(join(demoDaemon.dir, 'pid'), { force: true });
  }
}

/** Prints the console's address and token as soon as the API answers (its address is what a newcomer waits for). */
async function announceConsole(
  apiUrl: string,
  token: Promise<string>,
  sink: SmtpSink,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  const made = await token.catch((error: unknown) => {
    log.error({ err: error }, 'could not make the demo support token: make one with ./pnpm tally tokens create');
    return undefined;
  });
  while (!signal.aborted) {
    const up = await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(1_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (up) return printConsole(apiUrl, made, sink);
    await sleep(500, undefined, { signal }).catch(() => undefined);
  }
}

/**
 * A fresh support token for the demo, made by `tally tokens create` as the API's login (the only role that writes
 * tokens); the one of the previous start is revoked first, so a single demo token is live.
 */
async function demoToken(env: NodeJS.ProcessEnv): Promise<string> {
  const tally = (...args: string[]) => promisify(execFile)(process.execPath, [entry('cli'), ...args], { env });
  await tally('tokens', 'revoke', DEMO_TOKEN_NAME).catch(() => undefined); // none yet: nothing to revoke
  const { stdout } = await tally('tokens', 'create', '--role', 'support', '--name', DEMO_TOKEN_NAME);
  const token = stdout.trim();
  if (!/^tally_[A-Za-z0-9_-]{43}$/.test(token)) throw new Error('tally tokens create printed no token');
  return token;
}

function printConsole(apiUrl: string, token: string | undefined, sink: SmtpSink): void {
  process.stdout.write(
    [
      '',
      `Console and API: ${apiUrl}/ (routes: ${apiUrl}/docs)`,
      token === undefined
        ? '  no support token (see the error above)'
        : `  support token (shown this once; sign in with it): ${token}`,
      `  mails the mailer sends land in ${shown(sink.dir)}/ as .eml files (a local SMTP sink, port ${sink.port})`,
      '',
    ].join('\n'),
  );
}

async function readProgress(
  pool: Pool,
  schema: string,
): Promise<{ usageHours: number; invoices: number; finalized: number }> {
  const count = async (table: string, where = 'true'): Promise<number> => {
    const exists = await pool.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [`${schema}.${table}`]);
    if (!exists.rows[0]?.t) return 0;
    const result = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${quoteIdentifier(schema)}.${quoteIdentifier(table)} WHERE ${where}`,
    );
    return Number(result.rows[0]?.n ?? 0);
  };
  return {
    usageHours: await count('usage_hourly'),
    invoices: await count('invoices'),
    finalized: await count('invoices', "status = 'finalized'"),
  };
}

/** A path as the reader would type it from the repository root. */
function shown(path: string): string {
  const inRepo = relative(repoRoot, path);
  return inRepo.startsWith('..') ? path : inRepo;
}

function printWhereToLook(where: {
  logDir: string;
  month: string;
  schema: string;
  ports: DemoPorts;
  /** The read-only login's URL (no password in it) and the pgpass file that holds its password. */
  readonlyUrl: string;
  passFile: string;
  apiUrl: string;
  mailDir: string;
}): void {
  const { logDir, month, schema, ports, readonlyUrl, passFile, apiUrl, mailDir } = where;
  // Finance reads as the read-only role: the export cannot change what it exports.
  const database = `DATABASE_URL=${readonlyUrl} PGPASSFILE=${shown(passFile)}`;
  process.stdout.write(
    [
      '',
      'Tally is running: the first invoices are finalized.',
      `  invoices:  ${database} DB_SCHEMA=${schema} ./pnpm tally invoices export --period ${month} --format csv`,
      `  console:   ${apiUrl}/ (sign in with the support token printed above)`,
      `  abuse:     ${database} ABUSE_DB_SCHEMA=${schema} ./pnpm tally abuse explain <account>; decisions on abuse.decisions.v1, actions on account.actions.v1`,
      `  drip:      the funnel state per account in ${schema}.drip_accounts (psql as the read-only login: SELECT account_id, stopped, state FROM ${schema}.drip_accounts), mails decided on notifications.email.v1`,
      `  mails:     ${shown(mailDir)}/*.eml`,
      `  metrics:   http://127.0.0.1:${ports.meteringMetrics}/metrics (metering), http://127.0.0.1:${ports.billingMetrics}/metrics (billing), http://127.0.0.1:${ports.abuseMetrics}/metrics (abuse), http://127.0.0.1:${ports.dripMetrics}/metrics (drip), http://127.0.0.1:${ports.mailerMetrics}/metrics (mailer)`,
      `  logs:      ${logDir}/<service>.log`,
      '  Ctrl-C stops the services; ./pnpm stop stops Kafka, the registry and our PostgreSQL.',
      '',
    ].join('\n'),
  );
}
