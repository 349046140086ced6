import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureMigrated } from './migrate.ts';
import { quoteIdentifier } from './pool.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

let db: TestDatabase;
const empty = `empty_${randomBytes(4).toString('hex')}`;
beforeAll(async () => {
  db = await createTestDatabase(process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test');
  await db.pool.query(`CREATE SCHEMA ${quoteIdentifier(empty)}`);
});
afterAll(async () => {
  await db.pool.query(`DROP SCHEMA ${quoteIdentifier(empty)} CASCADE`);
  await db.drop();
});

describe('ensureMigrated', () => {
  it('passes on a migrated schema', async () => {
    await expect(ensureMigrated(db.pool, db.schema)).resolves.toBeUndefined();
  });

  it('names what is missing and how to apply it', async () => {
    await expect(ensureMigrated(db.pool, empty)).rejects.toThrowError(
      new RegExp(`schema ${empty} lacks migrations 0001_consumer-offsets, .*tally db migrate --schema ${empty}`),
    );
    await db.pool.query(`DELETE FROM pgmigrations WHERE name = '0070_trigger-search-path'`);
    await expect(ensureMigrated(db.pool, db.schema)).rejects.toThrowError(/lacks migrations 0070_trigger-search-path:/);
  });
});
