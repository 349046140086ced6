import type { Queryable } from '@tally/db';
import type { Account } from '@tally/records';
import { identityOf, type AbuseEvent } from '../core/events.ts';
import type { Fact } from '../core/facts.ts';

/**
 * Stores facts until the watermark passes their hour: one row per (account, kind, identity, hour), the highest
 * version kept (a compacted topic re-read, or an older version arriving late, never overwrites a newer one).
 * Coalesced per batch, so a key is written once per commit.
 */
export async function storeFacts(db: Queryable, facts: readonly Fact[]): Promise<void> {
  const latest = new Map<string, Fact>();
  for (const fact of facts) {
    const key = `${fact.accountId}\u0000${fact.event.kind}\u0000${identityOf(fact.event)}\u0000${fact.event.hour}`;
    const seen = latest.get(key);
    if (seen === undefined || seen.version <= fact.version) latest.set(key, fact);
  }
  if (latest.size === 0) return;
  const rows = [...latest.values()];
  await db.query(
    `INSERT INTO abuse_events (account_id, hour, kind, identity, version, event)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::jsonb[])
     ON CONFLICT (account_id, kind, identity, hour) DO UPDATE
       SET version = EXCLUDED.version, event = EXCLUDED.event
       WHERE abuse_events.version < EXCLUDED.version`,
    [
      rows.map((r) => r.accountId),
      rows.map((r) => r.event.hour),
      rows.map((r) => r.event.kind),
      rows.map((r) => identityOf(r.event)),
      rows.map((r) => r.version),
      rows.map((r) => JSON.stringify(r.event)),
    ],
  );
}

/** Keeps the latest account record per id (reference data: the state machine reads it as of its decision). */
export async function storeAccounts(db: Queryable, accounts: readonly Account[]): Promise<void> {
  const latest = new Map(accounts.map((a) => [a.accountId, a]));
  if (latest.size === 0) return;
  await db.query(
    `INSERT INTO abuse_accounts (account_id, record)
     SELECT * FROM unnest($1::text[], $2::jsonb[])
     ON CONFLICT (account_id) DO UPDATE SET record = EXCLUDED.record`,
    [[...latest.keys()], [...latest.values()].map((a) => JSON.stringify(a))],
  );
}

/** Raises the latest event hour read from a partition (the watermark's input). */
export async function recordProgress(
  db: Queryable,
  topic: string,
  partition: number,
  hour: number | undefined,
): Promise<void> {
  if (hour === undefined) return;
  await db.query(
    `INSERT INTO abuse_progress (topic, partition, latest_hour) VALUES ($1, $2, $3)
     ON CONFLICT (topic, partition) DO UPDATE SET latest_hour = GREATEST(abuse_progress.latest_hour, EXCLUDED.latest_hour)`,
    [topic, partition, hour],
  );
}

export interface StoredFact {
  readonly accountId: string;
  readonly event: AbuseEvent;
  readonly version: number;
}

/** The facts of hours before `mark` of `accountIds`, for the decider: one query for a batch of accounts. */
export async function loadFacts(db: Queryable, accountIds: readonly string[], mark: number): Promise<StoredFact[]> {
  const result = await db.query<{ account_id: string; event: AbuseEvent; version: string }>(
    'SELECT account_id, event, version FROM abuse_events WHERE account_id = ANY($1::text[]) AND hour < $2',
    [accountIds, mark],
  );
  return result.rows.map((row) => ({ accountId: row.account_id, event: row.event, version: Number(row.version) }));
}

/** Deletes applied facts, each only at the version applied: a newer version stored meanwhile stays. */
export async function deleteFacts(db: Queryable, facts: readonly StoredFact[]): Promise<void> {
  if (facts.length === 0) return;
  await db.query(
    `DELETE FROM abuse_events e
     USING unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[]) AS f(account_id, kind, identity, hour, version)
     WHERE e.account_id = f.account_id AND e.kind = f.kind AND e.identity = f.identity AND e.hour = f.hour
       AND e.version = f.version`,
    [
      facts.map((f) => f.accountId),
      facts.map((f) => f.event.kind),
      facts.map((f) => identityOf(f.event)),
      facts.map((f) => f.event.hour),
      facts.map((f) => f.version),
    ],
  );
}
