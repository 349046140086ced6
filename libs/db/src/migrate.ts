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
    await runner({
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
