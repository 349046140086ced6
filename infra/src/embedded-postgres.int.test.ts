import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createLogger } from '@tally/log';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessibleAs, installedBinaries, runnableBinaries, unprivilegedUser } from './embedded-postgres.ts';
import { portIsFree } from './ports.ts';
import { repoRoot } from './paths.ts';
import { run } from './run-command.ts';

const cli = join(repoRoot, 'infra', 'src', 'cli.ts');
const tally = join(repoRoot, 'services', 'cli', 'src', 'main.ts');
const asRoot = process.getuid?.() === 0;

async function freePort(): Promise<number> {
  for (let port = 25_432 + Math.floor(Math.random() * 500); ; port++) if (await portIsFree(port)) return port;
}

/**
 * `pnpm stack up|down` as a newcomer runs them, on a machine where nothing answers on the PostgreSQL port: here a
 * free port of the test's own and a run folder of its own, so the PostgreSQL everyone uses on 5432 is untouched.
 * Kafka and the registry are the shared ones (given explicitly, so only PostgreSQL is started).
 */
describe('embedded PostgreSQL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-embedded-pg-'));
  chmodSync(dir, 0o755); // as root PostgreSQL runs as nobody: here it can enter the run folder (see below for one it cannot)
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
  });
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const { DATABASE_URL: _ignored, ...rest } = process.env;
    return {
      ...rest,
      LOG_LEVEL: 'warn',
      TALLY_RUN_DIR: dir,
      TALLY_POSTGRES_PORT: String(port),
      TALLY_STACK_TIMEOUT_MS: '60000',
      ...extra,
    };
  };
  const stack = (command: string, extra?: NodeJS.ProcessEnv) =>
    run(process.execPath, [cli, command], { env: env(extra) });
  const query = async <T extends pg.QueryResultRow>(sql: string): Promise<T[]> => {
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/test` });
    await client.connect();
    try {
      return (await client.query<T>(sql)).rows;
    } finally {
      await client.end();
    }
  };

  afterAll(async () => {
    await stack('down').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts when nothing answers, as a user other than root, keeps its data under the run folder across stop and up', async () => {
    await stack('up');
    const [where] = await query<{ data: string; db: string }>(
      "SELECT current_setting('data_directory') AS data, current_database() AS db",
    );
    expect(where).toEqual({ data: join(dir, 'postgres', 'data'), db: 'test' });
    const pid = Number(readFileSync(join(dir, 'postgres', 'pid'), 'utf8'));
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    expect(uid).toBeDefined();
    if (process.getuid?.() === 0) expect(Number(uid)).not.toBe(0);
    await query('CREATE TABLE kept (note text); INSERT INTO kept VALUES ($$before stop$$)');

    await stack('down');
    expect(await portIsFree(port)).toBe(true);
    expect(existsSync(join(dir, 'postgres', 'pid'))).toBe(false);

    await stack('up');
    expect(await query('SELECT note FROM kept')).toEqual([{ note: 'before stop' }]);
    await stack('down');
  });

  it('an explicit DATABASE_URL wins: nothing is started for it, and the error names it', async () => {
    const unused = await freePort();
    const url = `postgres://postgres@127.0.0.1:${unused}/test`;
    const failure = await stack('up', {
      DATABASE_URL: url,
      TALLY_RUN_DIR: join(dir, 'explicit'),
      TALLY_STACK_TIMEOUT_MS: '3000',
    }).then(
      () => 'started',
      (error: unknown) => String(error),
    );
    expect(failure).toMatch(new RegExp(`PostgreSQL did not become ready[\\s\\S]*127\\.0\\.0\\.1:${unused}/test`));
    expect(existsSync(join(dir, 'explicit', 'postgres'))).toBe(false);
    expect(await portIsFree(unused)).toBe(true);
  });
});

/**
 * CI runs as root, often with the clone in a folder only root may enter (`/root/…`; here a fresh mkdtemp folder,
 * mode 0700). PostgreSQL refuses root, and `nobody`, whom it runs as then, can neither reach the run folder nor run
 * binaries inside it: the stack still starts it, with its data and binaries in folders of ours under the temporary
 * folder, and the project works on it (migrations as the owner, a service role writing, the read-only role reading).
 */
describe.skipIf(!asRoot)('embedded PostgreSQL as root in a folder only root may enter', () => {
  const closed = mkdtempSync(join(tmpdir(), 'tally-closed-'));
  const cleanup: string[] = [closed];
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
  });
  afterAll(async () => {
    const { DATABASE_URL: _ignored, ...rest } = process.env;
    await run(process.execPath, [cli, 'down'], { env: { ...rest, TALLY_RUN_DIR: join(closed, 'run') } }).catch(
      () => undefined,
    );
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  });

  it('copies the binaries where nobody can run them', async () => {
    const user = (await unprivilegedUser())!;
    const installed = await installedBinaries();
    // The installed package, as it would sit inside a clone under /root.
    const native = join(closed, 'pkg', 'native');
    await run('mkdir', ['-p', dirname(native)]);
    await run('cp', ['-a', dirname(dirname(installed.postgres)), native]);
    const inside = { postgres: join(native, 'bin', 'postgres'), initdb: join(native, 'bin', 'initdb') };
    expect(await accessibleAs(user, '-x', inside.postgres)).toBe(false);
    const usable = await runnableBinaries(inside, user, createLogger('embedded-pg-test', 'warn'));
    cleanup.push(dirname(dirname(dirname(usable.postgres))));
    expect(usable.postgres.startsWith(tmpdir())).toBe(true);
    expect(await run(usable.postgres, ['--version'], { ...user, cwd: '/' })).toMatch(/PostgreSQL\)? \d+/);
    expect(await run(usable.initdb, ['--version'], { ...user, cwd: '/' })).toMatch(/initdb/);
    // A second call reuses the copy.
    expect(await runnableBinaries(inside, user, createLogger('embedded-pg-test', 'warn'))).toEqual(usable);
  });

  it('starts PostgreSQL on an unused port with its data outside the closed folder, and the project works on it', async () => {
    const { DATABASE_URL: _ignored, ...rest } = process.env;
    const env = {
      ...rest,
      LOG_LEVEL: 'warn',
      TALLY_RUN_DIR: join(closed, 'run'),
      TALLY_POSTGRES_PORT: String(port),
      TALLY_STACK_TIMEOUT_MS: '60000',
    };
    await run(process.execPath, [cli, 'up'], { env });
    const owner = `postgres://postgres@127.0.0.1:${port}/test`;
    const client = new pg.Client({ connectionString: owner });
    await client.connect();
    try {
      const dataDir = (await client.query<{ d: string }>("SELECT current_setting('data_directory') AS d")).rows[0]!.d;
      cleanup.push(dirname(dataDir));
      expect(dataDir.startsWith(join(tmpdir(), 'tally-postgres-'))).toBe(true);
      expect(dataDir.startsWith(closed)).toBe(false);

      // The owner migrates and grants; a billing login writes its outbox; the read-only login reads it.
      const migrated = await run(process.execPath, [tally, 'db', 'migrate', '--schema', 'fresh'], {
        env: { ...env, DATABASE_URL: owner },
      });
      expect(migrated).toContain('schema fresh migrated; roles tally_metering, tally_billing');
      await client.query('CREATE ROLE billing_login LOGIN IN ROLE tally_billing');
      await client.query('CREATE ROLE support_login LOGIN IN ROLE tally_readonly');
      const as = async (user: string, sql: string) => {
        const c = new pg.Client({ connectionString: `postgres://${user}@127.0.0.1:${port}/test` });
        await c.connect();
        try {
          return (await c.query(`SET search_path = fresh; ${sql}`)) as unknown as pg.QueryResult[];
        } finally {
          await c.end();
        }
      };
      await as('billing_login', "INSERT INTO outbox (topic, key, payload) VALUES ('t', 'k', '{}')");
      const read = await as('support_login', 'SELECT key FROM outbox');
      expect(read[1]?.rows).toEqual([{ key: 'k' }]);
      await expect(as('support_login', 'DELETE FROM outbox')).rejects.toMatchObject({ code: '42501' });
    } finally {
      await client.end();
    }
    await run(process.execPath, [cli, 'down'], { env });
    expect(await portIsFree(port)).toBe(true);
  }, 180_000);
});
