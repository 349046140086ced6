import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import type { Logger } from '@tally/log';
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
