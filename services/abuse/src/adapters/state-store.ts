import type { Clocked, Hour } from '@tally/fsm';
import type { Queryable } from '@tally/db';
import { account as accountRecord, type Account } from '@tally/records';
import type { AbuseEvent } from '../core/events.ts';
import type { AbuseState } from '../core/state.ts';

/** The machines of `accountIds` that exist, locked for the transaction (in account order, so batches never deadlock). */
export async function loadClocked(
  db: Queryable,
  accountIds: readonly string[],
): Promise<Map<string, Clocked<AbuseState>>> {
  const result = await db.query<{ account_id: string; state: AbuseState; open_hour: string | null }>(
    `SELECT account_id, state, open_hour FROM abuse_states WHERE account_id = ANY($1::text[])
     ORDER BY account_id COLLATE "C" FOR UPDATE`,
    [accountIds],
  );
  return new Map(
    result.rows.map((row) => [
      row.account_id,
      { state: row.state, openHour: row.open_hour === null ? undefined : Number(row.open_hour) },
    ]),
  );
}

export interface SavedState {
  readonly clocked: Clocked<AbuseState>;
  readonly wake: Hour | undefined;
}

export async function saveClocked(db: Queryable, saved: readonly SavedState[]): Promise<void> {
  if (saved.length === 0) return;
  await db.query(
    `INSERT INTO abuse_states (account_id, state, open_hour, wake_hour, status, version, updated_at)
     SELECT *, now() FROM unnest($1::text[], $2::jsonb[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[])
     ON CONFLICT (account_id) DO UPDATE SET state = EXCLUDED.state, open_hour = EXCLUDED.open_hour,
       wake_hour = EXCLUDED.wake_hour, status = EXCLUDED.status, version = EXCLUDED.version, updated_at = now()`,
    [
      saved.map((s) => s.clocked.state.accountId),
      saved.map((s) => JSON.stringify(s.clocked.state)),
      saved.map((s) => s.clocked.openHour ?? null),
      saved.map((s) => s.wake ?? null),
      saved.map((s) => s.clocked.state.status),
      saved.map((s) => s.clocked.state.version),
    ],
  );
}

/** The account records of `accountIds`, validated (a row of an older shape counts as unknown rather than trusted). */
export async function loadAccounts(db: Queryable, accountIds: readonly string[]): Promise<Map<string, Account>> {
  const result = await db.query<{ account_id: string; record: unknown }>(
    'SELECT account_id, record FROM abuse_accounts WHERE account_id = ANY($1::text[])',
    [accountIds],
  );
  const accounts = new Map<string, Account>();
  for (const row of result.rows) {
    const parsed = accountRecord.safeParse(row.record);
    if (parsed.success) accounts.set(row.account_id, parsed.data);
  }
  return accounts;
}

export async function loadWatermark(db: Queryable): Promise<Hour | undefined> {
  const result = await db.query<{ hour: string }>('SELECT hour FROM abuse_watermark');
  const hour = result.rows[0]?.hour;
  return hour === undefined ? undefined : Number(hour);
}

export async function saveWatermark(db: Queryable, hour: Hour): Promise<void> {
  await db.query(
    `INSERT INTO abuse_watermark (id, hour) VALUES (true, $1)
     ON CONFLICT (id) DO UPDATE SET hour = GREATEST(abuse_watermark.hour, EXCLUDED.hour)`,
    [hour],
  );
}

/** Accounts with something to apply below `mark`: facts, a timer, or a person's clearance. */
export async function accountsToDecide(db: Queryable, mark: Hour): Promise<string[]> {
  const result = await db.query<{ account_id: string }>(
    `SELECT account_id FROM abuse_events WHERE hour < $1
     UNION SELECT account_id FROM abuse_states WHERE wake_hour < $1
     UNION SELECT c.account_id FROM abuse_clearances c LEFT JOIN abuse_states s USING (account_id)
       WHERE c.hour < $1 AND (s.open_hour IS NULL OR c.hour >= s.open_hour)
     ORDER BY 1`,
    [mark],
  );
  return result.rows.map((row) => row.account_id);
}

/** A person's decision waiting in abuse_clearances, as a machine event of its account. */
export interface Clearance {
  readonly accountId: string;
  readonly event: Extract<AbuseEvent, { kind: 'cleared' }>;
}

/** Clearances of `accountIds` due before `mark`; the decider keeps those at or after each account's open hour. */
export async function loadClearances(db: Queryable, accountIds: readonly string[], mark: Hour): Promise<Clearance[]> {
  const result = await db.query<{ id: string; account_id: string; hour: string; cleared_by: string; reason: string }>(
    `SELECT c.id, c.account_id, c.hour, c.cleared_by, c.reason FROM abuse_clearances c
     LEFT JOIN abuse_states s USING (account_id)
     WHERE c.account_id = ANY($1::text[]) AND c.hour < $2 AND (s.open_hour IS NULL OR c.hour >= s.open_hour)`,
    [accountIds, mark],
  );
  return result.rows.map((row) => ({
    accountId: row.account_id,
    event: {
      kind: 'cleared',
      hour: Number(row.hour),
      // Zero-padded so the canonical order (by identity) is the order they were made in.
      id: row.id.padStart(12, '0'),
      by: row.cleared_by,
      reason: row.reason,
    },
  }));
}
