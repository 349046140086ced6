import type { Clocked, Hour } from '@tally/fsm';
import type { Queryable } from '@tally/db';
import { initialState, type DripState } from '../core/state.ts';

/**
 * The accounts a pass must move at watermark `mark`: those with buffered events below it, and those whose timer
 * hour is below it (each no earlier than the account's first open hour). At most `limit`, in account order (a long replay is worked off in several passes).
 */
export async function accountsToMove(db: Queryable, mark: Hour, limit: number): Promise<string[]> {
  const result = await db.query<{ account_id: string }>(
    // An event or timer in an hour the account has already closed counts at its first open hour (libs/fsm
    // advanceTo): it is due only once the watermark passes that hour, or a pass would pick it again and again.
    `SELECT account_id FROM (
       SELECT e.account_id FROM drip_events e LEFT JOIN drip_accounts a USING (account_id)
       WHERE e.hour < $1 AND COALESCE(a.open_hour, e.hour) < $1
       UNION
       SELECT account_id FROM drip_accounts
       WHERE due_at < $1 AND COALESCE(open_hour, due_at) < $1 AND NOT stopped
     ) due ORDER BY account_id LIMIT $2`,
    [mark, limit],
  );
  return result.rows.map((row) => row.account_id);
}

/** Locks and loads the accounts' states (FOR UPDATE, in account order); unknown accounts start fresh. */
export async function lockStates(db: Queryable, accounts: readonly string[]): Promise<Map<string, Clocked<DripState>>> {
  const result = await db.query<{ account_id: string; state: DripState; open_hour: string | null }>(
    `SELECT account_id, state, open_hour FROM drip_accounts
     WHERE account_id = ANY($1::text[]) ORDER BY account_id FOR UPDATE`,
    [accounts],
  );
  const loaded = new Map(
    result.rows.map((row) => [
      row.account_id,
      { state: row.state, openHour: row.open_hour === null ? undefined : Number(row.open_hour) },
    ]),
  );
  return new Map(
    accounts.map((account) => [account, loaded.get(account) ?? { state: initialState(account), openHour: undefined }]),
  );
}

export async function saveStates(
  db: Queryable,
  rows: readonly { clocked: Clocked<DripState>; dueAt: Hour | undefined }[],
): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO drip_accounts (account_id, state, open_hour, due_at, stopped, updated_at)
     SELECT s.account_id, s.state, s.open_hour, s.due_at, s.stopped, now()
     FROM unnest($1::text[], $2::jsonb[], $3::bigint[], $4::bigint[], $5::boolean[])
       AS s(account_id, state, open_hour, due_at, stopped)
     ON CONFLICT (account_id) DO UPDATE SET state = EXCLUDED.state, open_hour = EXCLUDED.open_hour,
       due_at = EXCLUDED.due_at, stopped = EXCLUDED.stopped, updated_at = now()`,
    [
      rows.map((row) => row.clocked.state.accountId),
      rows.map((row) => JSON.stringify(row.clocked.state)),
      rows.map((row) => row.clocked.openHour ?? null),
      rows.map((row) => row.dueAt ?? null),
      rows.map((row) => row.clocked.state.stopped),
    ],
  );
}

/** The stored watermark, locked: one decider pass at a time moves accounts (two drip processes take turns). */
export async function lockWatermark(db: Queryable): Promise<Hour | undefined> {
  await db.query('INSERT INTO drip_watermark (id, watermark) VALUES (true, -1) ON CONFLICT (id) DO NOTHING');
  const result = await db.query<{ watermark: string }>('SELECT watermark FROM drip_watermark FOR UPDATE');
  const stored = Number(result.rows[0]?.watermark ?? -1);
  return stored < 0 ? undefined : stored;
}

export async function storeWatermark(db: Queryable, mark: Hour): Promise<void> {
  await db.query('UPDATE drip_watermark SET watermark = GREATEST(watermark, $1)', [mark]);
}
