import { connectionEnv, dbSchemaName, loadConfig } from '@tally/config';
import { createPool, type Pool } from '@tally/db';

const env = connectionEnv.extend({ ABUSE_DB_SCHEMA: dbSchemaName.default('abuse') });

/** A pool on abuse's schema (ABUSE_DB_SCHEMA, `abuse` by default); runs `work` with it and closes it. */
export async function withAbuseDb<T>(processEnv: NodeJS.ProcessEnv, work: (pool: Pool) => Promise<T>): Promise<T> {
  const config = loadConfig(env, processEnv);
  const pool = createPool(config.DATABASE_URL, {
    schema: config.ABUSE_DB_SCHEMA,
    max: 1,
    applicationName: 'tally-cli',
  });
  try {
    return await work(pool);
  } finally {
    await pool.end();
  }
}
