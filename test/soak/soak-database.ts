import { createPool, createTestDatabase, quoteIdentifier, type TestDatabase } from '@tally/db';

/**
 * A PostgreSQL database of the soak's own (not only a schema): advisory locks and the like are per database, so
 * nothing another test or benchmark does on the shared `test` database can block the soak's services, and the soak's
 * faults cannot block theirs. Migrated into a fresh schema as the tests do; `drop()` removes the whole database.
 */
export async function createSoakDatabase(serverUrl: string, name: string): Promise<TestDatabase> {
  const admin = createPool(serverUrl, { max: 1 });
  try {
    await admin.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = await createTestDatabase(url.toString());
  return {
    ...db,
    async drop() {
      await db.pool.end();
      const again = createPool(serverUrl, { max: 1 });
      try {
        await again.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
      } finally {
        await again.end();
      }
    },
  };
}
