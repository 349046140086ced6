import type { Queryable } from '@tally/db';
import { z } from 'zod';
import type { GroupTarget, WatermarkRound, WatermarkStage } from './finalize-watermark.ts';

// Rows are read back through zod: a hand-edited or truncated row fails loudly instead of passing a wrong target.
const partitionOffsets = z.record(z.string().regex(/^\d+$/), z.string().regex(/^\d+$/));
// Empty group and topic: a billing without metering took the round (nothing to meter).
const groupTarget = z.object({ groupId: z.string(), topic: z.string(), offsets: partitionOffsets });
const row = z.object({
  id: z.string(),
  taken_at: z.string(),
  stage: z.enum(['samples', 'held', 'usage-outbox', 'billing', 'done']),
  samples: groupTarget,
  held_until: z.string().nullable(),
  outbox_max_id: z.string().nullable(),
  billing: z.array(groupTarget).nullable(),
});

function toRound(raw: unknown): WatermarkRound {
  const r = row.parse(raw);
  return {
    id: r.id,
    takenAt: Number(r.taken_at),
    stage: r.stage,
    samples: r.samples,
    ...(r.held_until === null ? {} : { heldUntil: r.held_until }),
    ...(r.outbox_max_id === null ? {} : { outboxMaxId: r.outbox_max_id }),
    ...(r.billing === null ? {} : { billing: r.billing }),
  };
}

const COLUMNS =
  'id::text AS id, taken_at::text AS taken_at, stage, samples, held_until::text AS held_until, outbox_max_id::text AS outbox_max_id, billing';

/** The round in progress (at most one) and the latest done round. */
export async function loadRounds(
  db: Queryable,
): Promise<{ open: WatermarkRound | undefined; done: WatermarkRound | undefined }> {
  const result = await db.query(
    `(SELECT ${COLUMNS} FROM billing_finalize_watermarks WHERE stage <> 'done')
     UNION ALL
     (SELECT ${COLUMNS} FROM billing_finalize_watermarks WHERE stage = 'done' ORDER BY taken_at DESC, id DESC LIMIT 1)`,
  );
  const rounds = result.rows.map(toRound);
  return { open: rounds.find((r) => r.stage !== 'done'), done: rounds.find((r) => r.stage === 'done') };
}

/**
 * Stores a new round at stage `samples`, unless another process started one meanwhile (then that one is returned:
 * both wait for the same snapshot).
 */
export async function startRound(db: Queryable, takenAt: number, samples: GroupTarget): Promise<WatermarkRound> {
  const inserted = await db.query(
    `INSERT INTO billing_finalize_watermarks (taken_at, stage, samples) VALUES ($1, 'samples', $2)
     ON CONFLICT ((true)) WHERE stage <> 'done' DO NOTHING RETURNING ${COLUMNS}`,
    [takenAt, JSON.stringify(samples)],
  );
  if (inserted.rows[0] !== undefined) return toRound(inserted.rows[0]);
  const { open } = await loadRounds(db);
  if (open === undefined) throw new Error('a finalize watermark round was started and finished meanwhile; next pass');
  return open;
}

/**
 * Moves a round from `from` to `to`, storing the next stage's target. False if another process moved it first
 * (compare and set on the stage): the caller reloads rather than overwriting that process's snapshot.
 */
export async function advanceRound(
  db: Queryable,
  id: string,
  from: WatermarkStage,
  to: Exclude<WatermarkStage, 'samples'>,
  target: { heldUntil?: string | undefined; outboxMaxId?: string; billing?: readonly GroupTarget[] },
): Promise<boolean> {
  const result = await db.query(
    `UPDATE billing_finalize_watermarks
     SET stage = $3, held_until = COALESCE($4::bigint, held_until), outbox_max_id = COALESCE($5::bigint, outbox_max_id),
         billing = COALESCE($6::jsonb, billing), stage_at = now()
     WHERE id = $1 AND stage = $2`,
    [
      id,
      from,
      to,
      target.heldUntil ?? null,
      target.outboxMaxId ?? null,
      target.billing === undefined ? null : JSON.stringify(target.billing),
    ],
  );
  return result.rowCount === 1;
}

/** Drops a round in progress that no longer fits the configuration (see `matchesConfig`). */
export async function abandonRound(db: Queryable, id: string): Promise<void> {
  await db.query(`DELETE FROM billing_finalize_watermarks WHERE id = $1 AND stage <> 'done'`, [id]);
}
