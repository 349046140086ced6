import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from './migrate.ts';
import { createPool, quoteIdentifier, type Pool } from './pool.ts';

export interface TestDatabase {
  databaseUrl: string;
  schema: string;
  pool: Pool;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/**
 * A fresh, migrated schema for one test file, so test files run in parallel and leave nothing behind.
 *
 * @example
 * const db = await createTestDatabase(process.env.DATABASE_URL!);
 * afterAll(() => db.drop());
 */
export async function createTestDatabase(databaseUrl: string): Promise<TestDatabase> {
  const schema = `test_${randomBytes(6).toString('hex')}`;
  await migrate(databaseUrl, schema);
  const pool = createPool(databaseUrl, { schema });
  return {
    databaseUrl,
    schema,
    pool,
    async drop() {
      await pool.end();
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
      await client.end();
    },
  };
}
