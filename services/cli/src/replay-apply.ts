import { inTransaction, type Pool } from '@tally/db';
import { movedRows, type ReplayPlan } from './replay-plan.ts';

/** An instance-hour of billing_usage. */
export interface UsageHourKey {
  readonly instanceId: string;
  readonly hourStart: number;
}

/** The stored offsets are no longer those the plan was made from: something consumed meanwhile. */
export class PlanChangedError extends Error {
  override readonly name = 'PlanChangedError';
}

export interface ReplayOutcome {
  readonly partitionsMoved: number;
  readonly usageRowsDeleted: number;
}

/**
 * Applies a plan in ONE transaction: locks the group's offset rows and checks they still say what the plan read
 * (a consumer that started meanwhile fails the replay instead of racing it), deletes the billing_usage rows the
 * replayed records will insert again, and stores the new offsets. Invoices are never touched.
 *
 * @example
 * await applyReplay(pool, plan, [{ instanceId: 'i-1', hourStart: 1_740_787_200_000 }]);
 */
export async function applyReplay(
  pool: Pool,
  plan: ReplayPlan,
  usageKeys: readonly UsageHourKey[],
): Promise<ReplayOutcome> {
  const moved = movedRows(plan);
  return inTransaction(pool, async (client) => {
    const current = await client.query<{ group_id: string; topic: string; partition: number; next_offset: string }>(
      `SELECT c.group_id, c.topic, c.partition, c.next_offset FROM consumer_offsets c
       JOIN unnest($1::text[], $2::text[]) AS k(group_id, topic) USING (group_id, topic)
       FOR UPDATE OF c`,
      [plan.targets.map((t) => t.group), plan.targets.map((t) => t.topic)],
    );
    const now = new Map(current.rows.map((r) => [`${r.group_id}|${r.topic}|${r.partition}`, r.next_offset]));
    for (const row of plan.rows) {
      const stored = now.get(`${row.group}|${row.topic}|${row.partition}`);
      if (stored !== row.stored) {
        throw new PlanChangedError(
          `${row.group} ${row.topic}[${row.partition}]: stored offset is ${stored ?? '(none)'}, the plan read ` +
            `${row.stored ?? '(none)'}; a consumer ran meanwhile. Nothing changed; stop it and plan again.`,
        );
      }
    }
    let usageRowsDeleted = 0;
    if (usageKeys.length > 0) {
      const deleted = await client.query(
        `DELETE FROM billing_usage u USING unnest($1::text[], $2::bigint[]) AS k(instance_id, hour_start)
         WHERE u.instance_id = k.instance_id AND u.hour_start = k.hour_start`,
        [usageKeys.map((k) => k.instanceId), usageKeys.map((k) => k.hourStart)],
      );
      usageRowsDeleted = deleted.rowCount ?? 0;
    }
    if (moved.length > 0) {
      await client.query(
        `UPDATE consumer_offsets c SET next_offset = k.next_offset, updated_at = now()
         FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[]) AS k(group_id, topic, partition, next_offset)
         WHERE c.group_id = k.group_id AND c.topic = k.topic AND c.partition = k.partition`,
        [moved.map((r) => r.group), moved.map((r) => r.topic), moved.map((r) => r.partition), moved.map((r) => r.next)],
      );
    }
    return { partitionsMoved: moved.length, usageRowsDeleted };
  });
}
