import type { Queryable } from '@tally/db';

/**
 * Transaction-scoped advisory locks that keep parked account-hours from being missed. Without them an account-hour
 * parked by a usage batch (account or price unknown in its snapshot) could commit just after the accounts or prices
 * consumer looked for parked hours, and stay parked. Lock order everywhere: prices, then accounts sorted by key.
 * Advisory locks are database-wide: every key names the schema, so billings of other schemas never wait on ours.
 */

/** Per account, in a fixed order (no deadlock between callers). */
export async function lockAccountHours(db: Queryable, accountIds: readonly string[]): Promise<void> {
  if (accountIds.length === 0) return;
  await db.query(
    `SELECT pg_advisory_xact_lock(k) FROM (
       SELECT DISTINCT hashtext('tally.billing.hourly:' || current_schema() || ':' || id) AS k FROM unnest($1::text[]) AS id ORDER BY k) AS locks`,
    [accountIds],
  );
}

/** Taken by whoever prices account-hours with the stored price book; load the book after it. */
export async function lockPricesShared(db: Queryable): Promise<void> {
  await db.query(`SELECT pg_advisory_xact_lock_shared(hashtext('tally.billing.prices:' || current_schema()))`);
}

/** Taken by the prices consumer before it stores prices and looks for parked hours. */
export async function lockPricesExclusive(db: Queryable): Promise<void> {
  await db.query(`SELECT pg_advisory_xact_lock(hashtext('tally.billing.prices:' || current_schema()))`);
}
