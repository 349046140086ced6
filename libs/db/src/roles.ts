import type { Queryable } from './pool.ts';
import { quoteIdentifier } from './pool.ts';

/**
 * The roles a migrated schema grants to: one per service, plus a read-only role for support and the API's read paths.
 * `api` is the HTTP API's own: it reads through `readonly` and writes only its token table (admin routes).
 */
export type ServiceRole = 'metering' | 'billing' | 'operator' | 'api' | 'drip' | 'mailer' | 'abuse' | 'readonly';
export const serviceRoles: readonly ServiceRole[] = [
  'metering',
  'billing',
  'operator',
  'api',
  'drip',
  'mailer',
  'abuse',
  'readonly',
];

type Right = 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';
const RW: readonly Right[] = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];

/**
 * What each writing role may do, table by table (the readonly role may SELECT every table). Nobody but the owner
 * gets TRUNCATE, REFERENCES, TRIGGER or CREATE: only the owner can alter a table or switch its triggers off.
 * `SELECT … FOR UPDATE` needs UPDATE, which is why the operator holds it on consumer_offsets.
 */
export const tableRights: Readonly<
  Record<Exclude<ServiceRole, 'readonly'>, Readonly<Record<string, readonly Right[]>>>
> = {
  metering: {
    pgmigrations: ['SELECT'], // ensureMigrated at start-up
    consumer_offsets: RW,
    outbox: RW,
    usage_hourly: RW,
    inventory: RW,
    metering_partitions: RW,
    metering_pending: RW,
  },
  billing: {
    pgmigrations: ['SELECT'],
    consumer_offsets: RW,
    outbox: RW,
    billing_usage: RW,
    billing_prices: RW,
    billing_accounts: RW,
    billing_payments: RW,
    billing_hourly: RW,
    billing_pending_hours: RW,
    billing_dirty_accounts: RW,
    billing_hourly_stale: RW,
    // The finalizer's watermark rounds (migration 0080): one in progress, the done ones kept as a record.
    billing_finalize_watermarks: RW,
    // The finalizer reads metering's held samples (same database, metering's schema): one held before a month fell
    // due is not metered yet.
    metering_pending: ['SELECT'],
    // Drafts are rewritten and removed; finalized rows are guarded by the table's triggers, which only the owner
    // can disable.
    invoices: RW,
    invoice_counters: ['SELECT', 'INSERT', 'UPDATE'],
    // Written once with the invoice that billed them; never changed (a trigger refuses it too).
    billing_billed_entries: ['SELECT', 'INSERT'],
  },
  operator: {
    pgmigrations: ['SELECT'],
    consumer_offsets: ['SELECT', 'UPDATE'],
    billing_usage: ['SELECT', 'DELETE'],
    redriven_dead_letters: ['SELECT', 'INSERT'],
    late_replays: ['SELECT', 'INSERT'],
    // tally abuse explain / clear: a person's decision is recorded, never changed or removed.
    abuse_states: ['SELECT'],
    abuse_watermark: ['SELECT'],
    abuse_clearances: ['SELECT', 'INSERT'],
  },
  api: {
    pgmigrations: ['SELECT'],
    // Tokens are made and revoked (never deleted) by admins; hashes only, see migration 0120.
    api_tokens: ['SELECT', 'INSERT', 'UPDATE'],
  },
  drip: {
    pgmigrations: ['SELECT'],
    consumer_offsets: RW,
    outbox: RW,
    drip_accounts: RW,
    drip_watermark: RW,
    drip_events: RW,
    drip_progress: RW,
  },
  mailer: {
    pgmigrations: ['SELECT'],
    consumer_offsets: RW,
    // A sent message is a fact: the mailer records it and never changes or forgets it.
    mailer_sent: ['SELECT', 'INSERT'],
  },
  abuse: {
    pgmigrations: ['SELECT'],
    consumer_offsets: RW,
    outbox: RW,
    // Facts wait here until the watermark passes their hour, then are applied and deleted.
    abuse_events: RW,
    abuse_accounts: RW,
    abuse_progress: RW,
    abuse_watermark: RW,
    abuse_states: RW,
    // Read only: clearances are a person's decisions (tally abuse clear, as the operator).
    abuse_clearances: ['SELECT'],
  },
};

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,40}$/;

/** `tally_billing` for prefix `tally`; the prefix lets test runs have roles of their own (roles are cluster-wide). */
export function roleName(prefix: string, role: ServiceRole): string {
  if (!IDENTIFIER.test(prefix))
    throw new Error(`role prefix must be a lower-case identifier: ${JSON.stringify(prefix)}`);
  return `${prefix}_${role}`;
}

/**
 * Creates the service roles if missing (NOLOGIN: login users are made members of them) and makes their rights in
 * `schema` exactly those of `tableRights`: everything else is revoked, so a right removed here is removed on the next
 * migration. Run by the schema's owner after migrating; needs CREATEROLE the first time.
 *
 * @example
 * await grantServiceRoles(client, 'billing', 'tally'); // tally_billing may write invoices, not truncate them
 */
export async function grantServiceRoles(db: Queryable, schema: string, prefix = 'tally'): Promise<void> {
  const tables = new Set(
    (
      await db.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')`,
        [schema],
      )
    ).rows.map((row) => row.name),
  );
  const s = quoteIdentifier(schema);
  for (const role of serviceRoles) {
    const name = roleName(prefix, role);
    await createRoleIfMissing(db, name);
    const r = quoteIdentifier(name);
    await db.query(`REVOKE ALL ON ALL TABLES IN SCHEMA ${s} FROM ${r}`);
    await db.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${s} FROM ${r}`);
    await db.query(`REVOKE ALL ON SCHEMA ${s} FROM ${r}`);
    await db.query(`GRANT USAGE ON SCHEMA ${s} TO ${r}`);
    if (role === 'readonly') {
      await db.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${s} TO ${r}`);
      continue;
    }
    for (const [table, rights] of Object.entries(tableRights[role])) {
      if (!tables.has(table)) throw new Error(`grantServiceRoles: ${schema}.${table} does not exist (migrated?)`);
      await db.query(`GRANT ${rights.join(', ')} ON TABLE ${s}.${quoteIdentifier(table)} TO ${r}`);
    }
    // bigserial columns (outbox ids, dirty-account sequence numbers) take their values from sequences.
    if (Object.values(tableRights[role]).some((rights) => rights.includes('INSERT'))) {
      await db.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${r}`);
    }
  }
}

async function createRoleIfMissing(db: Queryable, name: string): Promise<void> {
  const exists = await db.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
  if (exists.rowCount !== 0) return;
  try {
    await db.query(`CREATE ROLE ${quoteIdentifier(name)} NOLOGIN`);
  } catch (error) {
    // Another schema's migration created it meanwhile (roles are cluster-wide): what we wanted.
    const code = (error as { code?: string }).code;
    if (code !== '42710' && code !== '23505') throw error;
  }
}
