import type { Queryable } from '@tally/db';
import { instance, type Instance } from '@tally/records';

/** The newest record per instance id (by updatedAt, the later one on a tie), in first-seen order. */
export function newestPerInstance(records: Iterable<Instance>): Instance[] {
  const newest = new Map<string, Instance>();
  for (const record of records) {
    const known = newest.get(record.instanceId);
    if (known === undefined || known.updatedAt <= record.updatedAt) newest.set(record.instanceId, record);
  }
  return [...newest.values()];
}

/**
 * Stores inventory records; a stored record with an equal or newer updatedAt wins, so re-reading the
 * compacted topic (or reading it out of order) changes nothing. Returns how many rows changed.
 */
export async function upsertInstances(db: Queryable, records: Iterable<Instance>): Promise<number> {
  const newest = newestPerInstance(records);
  if (newest.length === 0) return 0;
  const result = await db.query(
    `INSERT INTO inventory AS i (instance_id, record, updated_at)
     SELECT r.id, r.record, to_timestamp(r.updated_ms / 1000.0)
     FROM unnest($1::text[], $2::jsonb[], $3::bigint[]) AS r(id, record, updated_ms)
     ON CONFLICT (instance_id) DO UPDATE SET record = EXCLUDED.record, updated_at = EXCLUDED.updated_at
     WHERE (i.record->>'updatedAt')::bigint < (EXCLUDED.record->>'updatedAt')::bigint`,
    [newest.map((r) => r.instanceId), newest.map((r) => JSON.stringify(r)), newest.map((r) => r.updatedAt)],
  );
  return result.rowCount ?? 0;
}

/** The stored records of the given instances; unknown ids are absent. */
export async function loadInstances(db: Queryable, instanceIds: readonly string[]): Promise<Instance[]> {
  if (instanceIds.length === 0) return [];
  const result = await db.query<{ record: unknown }>(
    'SELECT record FROM inventory WHERE instance_id = ANY($1::text[])',
    [instanceIds],
  );
  return result.rows.map((row) => instance.parse(row.record));
}
