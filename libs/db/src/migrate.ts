import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import type { Logger } from '@tally/log';

export const migrationsDir = fileURLToPath(new URL('../migrations', import.meta.url));

/** Applies every pending migration in `schema` (created if missing); concurrent callers are serialized by a lock. */
export async function migrate(databaseUrl: string, schema: string, log?: Logger): Promise<void> {
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
  } finally {
    await client.end();
  }
}
