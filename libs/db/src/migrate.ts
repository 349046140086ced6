import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import type { Logger } from '@tally/log';
import type { Queryable } from './pool.ts';
import { quoteIdentifier } from './pool.ts';
import { grantServiceRoles } from './roles.ts';

export const migrationsDir = fileURLToPath(new URL('../migrations', import.meta.url));

export interface MigrateOptions {
  /** Also (re)grant the service roles `<prefix>_metering`, `_billing`, `_operator`, `_readonly` (see roles.ts). */
  rolePrefix?: string;
}

/**
 * Applies every pending migration in `schema` (created if missing) as the role of `databaseUrl`, which owns what it
 * creates; concurrent callers are serialized by a lock. With `rolePrefix`, then grants the service roles their rights.
 */
export async function migrate(
  databaseUrl: string,
  schema: string,
  log?: Logger,
  options: MigrateOptions = {},
): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // node-pg-migrate's own lock is a try-lock on one id for the whole database: a second caller fails with "Another
    // migration is already running" (parallel test files, services starting together). Wait instead, per schema.
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`tally.migrate.${schema}`]);
    await runner({
      noLock: true,
      dbClient: client,
      dir: migrationsDir,
      direction: 'up',
      migrationsTable: 'pgmigrations',
      schema,
      createSchema: true,
      checkOrder: true,
      log: (message: string) => log?.debug({ migration: message }, 'migrate'),
    });
    if (options.rolePrefix !== undefined) await grantServiceRoles(client, schema, options.rolePrefix);
  } finally {
    await client.end();
  }
}

/**
 * A service's start-up check, now that services no longer migrate: every migration of this build is applied in
 * `schema`, or the error says which are missing and how to apply them (as the owner).
 *
 * @example
 * await ensureMigrated(pool, 'billing'); // throws "schema billing lacks migrations 0070_…: run ./pnpm tally db migrate …"
 */
export async function ensureMigrated(db: Queryable, schema: string): Promise<void> {
  const expected = (await readdir(migrationsDir)).filter((f) => f.endsWith('.sql')).map((f) => f.slice(0, -4));
  const table = await db.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [
    `${quoteIdentifier(schema)}.pgmigrations`,
  ]);
  const applied = new Set(
    table.rows[0]?.exists === true
      ? (await db.query<{ name: string }>(`SELECT name FROM ${quoteIdentifier(schema)}.pgmigrations`)).rows.map(
          (row) => row.name,
        )
      : [],
  );
  const missing = expected.filter((name) => !applied.has(name)).sort();
  if (missing.length > 0) {
    throw new Error(
      `schema ${schema} lacks migrations ${missing.join(', ')}: run ./pnpm tally db migrate --schema ${schema} ` +
        'as the owner role (services do not migrate at start-up)',
    );
  }
}
