import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { quoteIdentifier, roleName, type Queryable, type ServiceRole } from '@tally/db';

/**
 * The login user a service connects as: a member of its role (`tally_billing`), so it holds exactly the
 * rights `tally db migrate` grants that role and nothing of the owner's.
 *
 * @example
 * loginUser('tally', 'billing'); // 'tally_billing_login'
 */
export function loginUser(prefix: string, role: ServiceRole): string {
  return `${roleName(prefix, role)}_login`;
}

/**
 * `ownerUrl` with `user` as its user and no password: the password comes from the pgpass file (`PGPASSFILE`, read by
 * node-postgres when the URL has none), so it is never in a URL, an environment listing or a log line.
 *
 * @example
 * loginUrl('postgres://postgres:pw@127.0.0.1:5432/test', 'tally_billing_login');
 * // 'postgres://tally_billing_login@127.0.0.1:5432/test'
 */
export function loginUrl(ownerUrl: string, user: string): string {
  const url = new URL(ownerUrl);
  url.username = user;
  url.password = '';
  return url.toString();
}

const PASSWORD = /^[0-9a-f]{32}$/;

/**
 * The passwords of a pgpass file by user (lines `*:*:*:<user>:<password>` as `pgpassFile` writes them; other lines
 * are ignored).
 *
 * @example
 * pgpassPasswords('*:*:*:tally_billing_login:0123…\n'); // Map { 'tally_billing_login' => '0123…' }
 */
export function pgpassPasswords(text: string): Map<string, string> {
  const passwords = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\*:\*:\*:([a-z_][a-z0-9_]*):([0-9a-f]{32})$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) passwords.set(match[1], match[2]);
  }
  return passwords;
}

/** A pgpass file for these users, any host, port and database (user names and hex passwords need no escaping). */
export function pgpassFile(passwords: ReadonlyMap<string, string>): string {
  return [...passwords].map(([user, password]) => `*:*:*:${user}:${password}\n`).join('');
}

export interface ServiceLogins {
  /** Each role's DATABASE_URL (no password in it). */
  urls: Partial<Record<ServiceRole, string>>;
  /** The pgpass file holding their passwords (mode 0600); give it to the services as PGPASSFILE. */
  passFile: string;
}

/**
 * Makes a login user for each of `roles` (created once, made a member of the role, given the password kept in
 * `passFile`; a password is generated the first time), as the owner connected by `owner`. Idempotent: every start
 * sets the same passwords again, so the file and the server agree. With trust authentication (the local stack) the
 * passwords are not asked for; with password authentication they are what lets the services in.
 */
export async function ensureServiceLogins(
  owner: Queryable,
  ownerUrl: string,
  prefix: string,
  roles: readonly ServiceRole[],
  passFile: string,
): Promise<ServiceLogins> {
  const passwords = existsSync(passFile) ? pgpassPasswords(readFileSync(passFile, 'utf8')) : new Map<string, string>();
  const urls: Partial<Record<ServiceRole, string>> = {};
  for (const role of roles) {
    const user = loginUser(prefix, role);
    const password = passwords.get(user) ?? randomBytes(16).toString('hex');
    // Role DDL takes no bind parameters; the password is hex of our own making.
    if (!PASSWORD.test(password)) throw new Error(`generated password for ${user} is not hex`);
    passwords.set(user, password);
    const exists = await owner.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user]);
    const name = quoteIdentifier(user);
    if (exists.rowCount === 0) {
      await owner
        .query(`CREATE ROLE ${name} LOGIN IN ROLE ${quoteIdentifier(roleName(prefix, role))}`)
        .catch((error: unknown) => {
          // Another stack on the same server made it meanwhile (roles are cluster-wide): what we wanted.
          if ((error as { code?: string }).code !== '42710') throw error;
        });
    }
    await owner.query(`ALTER ROLE ${name} LOGIN PASSWORD '${password}'`);
    urls[role] = loginUrl(ownerUrl, user);
  }
  mkdirSync(dirname(passFile), { recursive: true, mode: 0o700 });
  // node-postgres ignores a pgpass file others may read.
  writeFileSync(passFile, pgpassFile(passwords), { mode: 0o600 });
  chmodSync(passFile, 0o600);
  return { urls, passFile };
}
