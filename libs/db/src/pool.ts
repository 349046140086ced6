import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
/** Anything that runs a query: a pool or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'>;

// NUMERIC and BIGINT arrive as strings (pg's default); we keep it so: money never becomes a float.

/**
 * A connection pool whose connections use `schema` first, so tests and services can live side by side.
 *
 * @example
 * const pool = createPool('postgres://postgres@127.0.0.1:5432/test', { schema: 'tally' });
 */
export function createPool(
  databaseUrl: string,
  options: { schema?: string; max?: number; applicationName?: string } = {},
): Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'tally',
    connectionTimeoutMillis: 5_000,
    ...(options.schema ? { options: `-c search_path=${quoteIdentifier(options.schema)},public` } : {}),
    // JIT off: our statements are short, and a plan PostgreSQL thinks is costly (tables without statistics yet, as
    // after a rebuild from empty tables) paid hundreds of milliseconds of compiling per statement. Set when each
    // connection opens, before it is handed out; not in `options`, which would override PGOPTIONS and a connection
    // string's own options.
    // pg-pool awaits the hook (a failure fails the checkout); @types/pg declares it as returning void.
    // eslint-disable-next-line @typescript-eslint/no-misused-promises
    onConnect: async (client) => {
      await client.query('SET jit = off');
    },
  });
  // An idle client whose server went away emits 'error' on the pool; without a listener that kills the process.
  pool.on('error', () => undefined);
  return pool;
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Runs `work` in one transaction; rolls back on any error and rethrows it. A connection that broke
 * meanwhile is destroyed, not returned to the pool.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A checked-out client whose server goes away emits 'error'; unhandled, that would kill the process.
  let broken: Error | undefined;
  const onError = (error: Error) => (broken = error);
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      broken ??= rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    });
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken ?? false);
  }
}
