/**
 * The service roles on real PostgreSQL: the billing role writes drafts but can neither change nor delete a finalized
 * invoice, nor truncate the table, nor switch its triggers off, nor create anything; the other roles hold only their
 * own rights. Roles are cluster-wide, so this run's have a prefix of their own and are dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureMigrated, migrate } from './migrate.ts';
import { createPool, quoteIdentifier, type Pool } from './pool.ts';
import { roleName, serviceRoles, type ServiceRole } from './roles.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

const databaseUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const prefix = `t_${randomBytes(4).toString('hex')}`;
const logins = new Map<ServiceRole, Pool>();
let db: TestDatabase;

/** A login user that is a member of the service role, the way an operator would deploy it. */
async function loginAs(role: ServiceRole): Promise<Pool> {
  const user = `${roleName(prefix, role)}_login`;
  await db.pool.query(`CREATE ROLE ${quoteIdentifier(user)} LOGIN IN ROLE ${quoteIdentifier(roleName(prefix, role))}`);
  const url = new URL(databaseUrl);
  url.username = user;
  url.password = '';
  const pool = createPool(url.toString(), { schema: db.schema, max: 1 });
  logins.set(role, pool);
  return pool;
}

/** The SQLSTATE a statement fails with, or 'ok'. */
async function outcome(pool: Pool, sql: string, params: unknown[] = []): Promise<string> {
  try {
    await pool.query(sql, params);
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

const INSUFFICIENT_PRIVILEGE = '42501';
const INTEGRITY_VIOLATION = '23000';
const finalized = `INSERT INTO invoices (account_id, month, status, issuer, number, currency, total, content, content_hash,
                     finalized_at) VALUES ('acc-1', '2026-01', 'finalized', 'tally', 'INV-1', 'EUR', 10, '{}', 'h', now())`;

let billing: Pool;
beforeAll(async () => {
  db = await createTestDatabase(databaseUrl);
  // What `tally db migrate` does: migrate as the owner (nothing pending here), then grant the roles; twice, since
  // every deployment re-runs it.
  await migrate(databaseUrl, db.schema, undefined, { rolePrefix: prefix });
  await migrate(databaseUrl, db.schema, undefined, { rolePrefix: prefix });
  await db.pool.query(finalized);
  billing = await loginAs('billing');
});

afterAll(async () => {
  for (const pool of logins.values()) await pool.end();
  await db.drop();
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    for (const role of serviceRoles) {
      for (const name of [`${roleName(prefix, role)}_login`, roleName(prefix, role)]) {
        const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
        if (exists.rowCount === 0) continue;
        await admin.query(`DROP OWNED BY ${quoteIdentifier(name)}`);
        await admin.query(`DROP ROLE ${quoteIdentifier(name)}`);
      }
    }
  } finally {
    await admin.end();
  }
});

describe('the billing role', () => {
  it('writes and rewrites drafts, and the outbox (its sequence included)', async () => {
    expect(
      await outcome(
        billing,
        `INSERT INTO invoices (account_id, month, status, currency) VALUES ('acc-2', '2026-02', 'draft', 'EUR')`,
      ),
    ).toBe('ok');
    expect(await outcome(billing, `UPDATE invoices SET total = 3 WHERE account_id = 'acc-2'`)).toBe('ok');
    expect(await outcome(billing, `DELETE FROM invoices WHERE account_id = 'acc-2'`)).toBe('ok');
    expect(await outcome(billing, `INSERT INTO outbox (topic, key, payload) VALUES ('t', 'k', '{}')`)).toBe('ok');
    // What a service checks at start-up.
    await expect(ensureMigrated(billing, db.schema)).resolves.toBeUndefined();
  });

  it('cannot change, delete or truncate a finalized invoice', async () => {
    expect(await outcome(billing, `UPDATE invoices SET total = 0 WHERE number = 'INV-1'`)).toBe(INTEGRITY_VIOLATION);
    expect(await outcome(billing, `DELETE FROM invoices WHERE number = 'INV-1'`)).toBe(INTEGRITY_VIOLATION);
    expect(await outcome(billing, 'TRUNCATE invoices')).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await outcome(billing, 'TRUNCATE billing_billed_entries')).toBe(INSUFFICIENT_PRIVILEGE);
    const row = await db.pool.query<{ total: string }>(`SELECT total FROM invoices WHERE number = 'INV-1'`);
    expect(row.rows).toEqual([{ total: '10' }]);
  });

  it('cannot switch the triggers off, drop them, or bypass them', async () => {
    expect(await outcome(billing, 'ALTER TABLE invoices DISABLE TRIGGER invoices_finalized_immutable')).toBe(
      INSUFFICIENT_PRIVILEGE,
    );
    expect(await outcome(billing, 'ALTER TABLE invoices DISABLE TRIGGER ALL')).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await outcome(billing, 'DROP TRIGGER invoices_finalized_immutable ON invoices')).toBe(
      INSUFFICIENT_PRIVILEGE,
    );
    expect(await outcome(billing, 'SET session_replication_role = replica')).toBe(INSUFFICIENT_PRIVILEGE);
    expect(
      await outcome(
        billing,
        'CREATE OR REPLACE FUNCTION invoices_refuse_finalized_change() RETURNS trigger LANGUAGE sql AS $$ SELECT NULL::trigger $$',
      ),
    ).not.toBe('ok');
  });

  it('has no DDL and no rights on the tables of others', async () => {
    expect(await outcome(billing, 'CREATE TABLE shadow (a int)')).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await outcome(billing, 'ALTER TABLE invoices ADD COLUMN x int')).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await outcome(billing, `DELETE FROM usage_hourly`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await outcome(billing, `INSERT INTO late_replays VALUES ('t', 0, 0, 'i', 'e', 0)`)).toBe(
      INSUFFICIENT_PRIVILEGE,
    );
  });
});

describe('the other roles', () => {
  it('readonly reads every table and can insert, update, delete or truncate none', async () => {
    const readonly = await loginAs('readonly');
    const tables = (
      await db.pool.query<{ name: string; column: string }>(
        `SELECT c.relname AS name, (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum = 1) AS column
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY 1`,
        [db.schema],
      )
    ).rows;
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['invoices', 'usage_hourly', 'consumer_offsets']));
    // Privileges are checked before any row is touched: the statements need not match a row to be refused.
    const attempts = (t: string, c: string): Record<string, string> => ({
      select: `SELECT count(*) FROM ${t}`,
      insert: `INSERT INTO ${t} DEFAULT VALUES`,
      update: `UPDATE ${t} SET ${c} = ${c} WHERE false`,
      delete: `DELETE FROM ${t} WHERE false`,
      truncate: `TRUNCATE ${t}`,
    });
    for (const { name, column } of tables) {
      const results: Record<string, string> = {};
      for (const [kind, sql] of Object.entries(attempts(quoteIdentifier(name), quoteIdentifier(column)))) {
        results[kind] = await outcome(readonly, sql);
      }
      expect(results, name).toEqual({
        select: 'ok',
        insert: INSUFFICIENT_PRIVILEGE,
        update: INSUFFICIENT_PRIVILEGE,
        delete: INSUFFICIENT_PRIVILEGE,
        truncate: INSUFFICIENT_PRIVILEGE,
      });
    }
    // The finalized invoice is still there, unchanged.
    const row = await readonly.query<{ total: string }>(`SELECT total FROM invoices WHERE number = 'INV-1'`);
    expect(row.rows).toEqual([{ total: '10' }]);
    // Nor can it create anything, or take a write lock.
    expect(await outcome(readonly, 'CREATE TABLE shadow (a int)')).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await outcome(readonly, 'SELECT * FROM invoices FOR UPDATE')).toBe(INSUFFICIENT_PRIVILEGE);
  });

  it('metering writes usage but no invoice; the operator moves offsets but writes no usage', async () => {
    const metering = await loginAs('metering');
    expect(await outcome(metering, `INSERT INTO metering_partitions VALUES ('g', 't', 0)`)).toBe('ok');
    expect(await outcome(metering, `UPDATE invoices SET total = 1 WHERE status = 'draft'`)).toBe(
      INSUFFICIENT_PRIVILEGE,
    );
    const operator = await loginAs('operator');
    expect(await outcome(operator, `UPDATE consumer_offsets SET next_offset = 0 WHERE false`)).toBe('ok');
    expect(await outcome(operator, `DELETE FROM usage_hourly`)).toBe(INSUFFICIENT_PRIVILEGE);
  });
});

describe('trigger functions', () => {
  it('run with a fixed search_path', async () => {
    const functions = await db.pool.query<{ name: string; config: string[] | null }>(
      `SELECT p.proname AS name, p.proconfig AS config FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = $1 AND p.prorettype = 'trigger'::regtype ORDER BY 1`,
      [db.schema],
    );
    expect(functions.rows.length).toBeGreaterThanOrEqual(3);
    for (const row of functions.rows)
      expect(row, row.name).toMatchObject({ config: ['search_path=pg_catalog, pg_temp'] });
  });

  it('refuse TRUNCATE of the owner too, looking at their own schema whatever the caller searches', async () => {
    const client = await db.pool.connect();
    try {
      // A table named invoices, empty, earlier on the caller's path: an unqualified lookup would find it and allow.
      await client.query('CREATE TEMP TABLE invoices (status text)');
      await client.query(`SET search_path = pg_temp, ${quoteIdentifier(db.schema)}`);
      await expect(client.query(`TRUNCATE ${quoteIdentifier(db.schema)}.invoices`)).rejects.toMatchObject({
        code: INTEGRITY_VIOLATION,
      });
    } finally {
      client.release(true);
    }
  });
});
