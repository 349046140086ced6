import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portIsFree } from './ports.ts';
import { repoRoot } from './paths.ts';
import { run } from './run-command.ts';

const cli = join(repoRoot, 'infra', 'src', 'cli.ts');

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
  chmodSync(dir, 0o755); // PostgreSQL runs as nobody when we are root: it must reach its data folder
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
