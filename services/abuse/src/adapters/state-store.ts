import type { Clocked, Hour } from '@tally/fsm';
import type { Queryable } from '@tally/db';
import { account as accountRecord, type Account } from '@tally/records';
import type { AbuseEvent } from '../core/events.ts';
import type { AbuseState } from '../core/state.ts';

/** The account's machine, locked for the transaction; undefined for an account never decided. */
export async function loadClocked(db: Queryable, accountId: string): Promise<Clocked<AbuseState> | undefined> {
  const result = await db.query<{ state: AbuseState; open_hour: string | null }>(
    'SELECT state, open_hour FROM abuse_states WHERE account_id = $1 FOR UPDATE',
    [accountId],
  );
  const row = result.rows[0];
  if (row === undefined) return undefined;
  return { state: row.state, openHour: row.open_hour === null ? undefined : Number(row.open_hour) };
}

export async function saveClocked(db: Queryable, clocked: Clocked<AbuseState>, wake: Hour | undefined): Promise<void> {
  const { state } = clocked;
  await db.query(
    `INSERT INTO abuse_states (account_id, state, open_hour, wake_hour, status, version, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, now())
     ON CONFLICT (account_id) DO UPDATE SET state = EXCLUDED.state, open_hour = EXCLUDED.open_hour,
       wake_hour = EXCLUDED.wake_hour, status = EXCLUDED.status, version = EXCLUDED.version, updated_at = now()`,
    [state.accountId, JSON.stringify(state), clocked.openHour ?? null, wake ?? null, state.status, state.version],
  );
}

/** The account record, validated (a row from an older shape is treated as unknown rather than trusted). */
export async function loadAccount(db: Queryable, accountId: string): Promise<Account | undefined> {
  const result = await db.query<{ record: unknown }>('SELECT record FROM abuse_accounts WHERE account_id = $1', [
    accountId,
  ]);
  const parsed = accountRecord.safeParse(result.rows[0]?.record);
  return parsed.success ? parsed.data : undefined;
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

/** Clearances not yet applied (at or after the account's open hour) and due (before `mark`), as machine events. */
export async function loadClearances(
  db: Queryable,
  accountId: string,
  openHour: Hour | undefined,
  mark: Hour,
): Promise<AbuseEvent[]> {
  const result = await db.query<{ id: string; hour: string; cleared_by: string; reason: string }>(
    'SELECT id, hour, cleared_by, reason FROM abuse_clearances WHERE account_id = $1 AND hour >= $2 AND hour < $3',
    [accountId, openHour ?? -1, mark],
  );
  return result.rows.map((row) => ({
    kind: 'cleared',
    hour: Number(row.hour),
    id: row.id.padStart(12, '0'),
    by: row.cleared_by,
    reason: row.reason,
  }));
}
