import { connectionEnv, dbSchemaName, loadConfig } from '@tally/config';
import { createPool, type Pool } from '@tally/db';

const env = connectionEnv.extend({ DB_SCHEMA: dbSchemaName.default('billing') });

/**
 * The CLI's database pool (DATABASE_URL, DB_SCHEMA: billing's schema by default, as for `invoices export`); run
 * `work` with it and close it.
 */
export async function withCliDb<T>(processEnv: NodeJS.ProcessEnv, work: (pool: Pool) => Promise<T>): Promise<T> {
  const config = loadConfig(env, processEnv);
  const pool = createPool(config.DATABASE_URL, { schema: config.DB_SCHEMA, max: 2, applicationName: 'tally-cli' });
  try {
    return await work(pool);
  } finally {
    await pool.end();
  }
}
