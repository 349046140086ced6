import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPool, migrate, quoteIdentifier, type Pool } from '@tally/db';
import type { Logger } from '@tally/log';
import type { DemoOptions } from './demo-options.ts';
import { repoRoot, runDir } from './paths.ts';
import type { Endpoints } from './stack-config.ts';
import { Supervisor } from './supervisor.ts';
import { run } from './run-command.ts';

/** The demo's database schema; tests use their own. */
export const DEMO_SCHEMA = 'tally';
const HOUR_MS = 3_600_000;

const entry = (service: string) => join(repoRoot, 'services', service, 'src', 'main.ts');

export interface DemoPorts {
  meteringMetrics: number;
  billingMetrics: number;
}

const ports: DemoPorts = { meteringMetrics: 9464, billingMetrics: 9465 };

/**
 * Starts the whole pipeline on a running stack: migrates, publishes the demo price book, then runs
 * metering, billing and the agent simulator (a past period of `days`, ending when this month began)
 * under a supervisor. Resolves when `signal` aborts, after every service has stopped.
 */
export async function runDemoPipeline(
  endpoints: Endpoints,
  options: DemoOptions,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  const env: NodeJS.ProcessEnv = {
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
    DATABASE_URL: endpoints.databaseUrl,
    DB_SCHEMA: DEMO_SCHEMA,
  };
  await migrate(endpoints.databaseUrl, DEMO_SCHEMA, log);
  log.info({ schema: DEMO_SCHEMA }, 'database migrated');
  const priceBook = join(repoRoot, 'services', 'billing', 'price-books', 'demo.yaml');
  await run(process.execPath, [entry('cli'), 'prices', 'publish', priceBook], { env: { ...process.env, ...env } });
  log.info({ priceBook }, 'demo price book published');

  // The last `days` of the previous month: a closed month, so billing finalizes its invoices once it has
  // read everything (after its grace period), and finance's export has something to show.
  const today = new Date();
  const end = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1);
  const from = end - options.days * 24 * HOUR_MS;
  // The simulated history must stay open for updates (invariant 4): retention reaches back past its start.
  const retentionDays = Math.ceil((Date.now() - from) / (24 * HOUR_MS)) + 7;
  const logDir = join(runDir, 'services');
  const supervisor = new Supervisor(log, logDir);
  supervisor.start({
    name: 'metering',
    entry: entry('metering'),
    env: {
      ...env,
      METERING_METRICS_PORT: String(ports.meteringMetrics),
      METERING_RETENTION_DAYS: String(retentionDays),
    },
  });
  supervisor.start({
    name: 'billing',
    entry: entry('billing'),
    env: { ...env, BILLING_METRICS_PORT: String(ports.billingMetrics) },
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
  log.info({ logs: logDir }, 'services started');

  const pool = createPool(endpoints.databaseUrl, { schema: DEMO_SCHEMA, max: 1 });
  try {
    let announced = false;
    while (!signal.aborted) {
      const progress = await readProgress(pool).catch(() => undefined);
      if (progress) {
        const services = supervisor
          .status()
          .map(
            (s) =>
              `${s.name}:${s.done ? 'done' : s.running ? 'up' : 'down'}${s.restarts ? `(${s.restarts} restarts)` : ''}`,
          );
        log.info({ ...progress, services: services.join(' ') }, 'progress');
        if (!announced && progress.finalized > 0) {
          announced = true;
          printWhereToLook(logDir, from);
        }
      }
      await sleep(5_000, undefined, { signal }).catch(() => undefined);
    }
  } finally {
    await pool.end();
    log.info('stopping services');
    await supervisor.stop();
  }
}

async function readProgress(pool: Pool): Promise<{ usageHours: number; invoices: number; finalized: number }> {
  const count = async (table: string, where = 'true'): Promise<number> => {
    const exists = await pool.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [`${DEMO_SCHEMA}.${table}`]);
    if (!exists.rows[0]?.t) return 0;
    const result = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${quoteIdentifier(DEMO_SCHEMA)}.${quoteIdentifier(table)} WHERE ${where}`,
    );
    return Number(result.rows[0]?.n ?? 0);
  };
  return {
    usageHours: await count('usage_hourly'),
    invoices: await count('invoices'),
    finalized: await count('invoices', "status = 'finalized'"),
  };
}

function printWhereToLook(logDir: string, from: number): void {
  const month = new Date(from).toISOString().slice(0, 7);
  process.stdout.write(
    [
      '',
      'Tally is running: the first invoices are finalized.',
      `  invoices:  DB_SCHEMA=${DEMO_SCHEMA} ./pnpm tally invoices export --period ${month} --format csv`,
      `  metrics:   http://127.0.0.1:${ports.meteringMetrics}/metrics (metering), http://127.0.0.1:${ports.billingMetrics}/metrics (billing)`,
      `  logs:      ${logDir}/<service>.log`,
      '  Ctrl-C stops the services; ./pnpm stop stops Kafka and the registry.',
      '',
    ].join('\n'),
  );
}
