import type { Queryable } from '@tally/db';
import type { AbuseEffect } from '../core/effects.ts';
import { actionOf, decisionOf, noticeOf } from '../core/outputs.ts';
import type { AbuseState } from '../core/state.ts';

export interface OutputTopics {
  readonly decisions: string;
  readonly actions: string;
  readonly notices: string;
}

export interface OutboxRow {
  readonly topic: string;
  readonly key: string;
  readonly value: unknown;
}

/**
 * The outbox rows of one account's effects: actions and notices in the order decided, then the decision once (full
 * and versioned, so one per account and pass is enough). A notice for an account whose record is unknown has no
 * recipient: it is returned in `unaddressed` for the caller to log.
 */
export function effectRows(
  state: AbuseState,
  recipient: string | undefined,
  effects: readonly AbuseEffect[],
  outputs: OutputTopics,
): { rows: OutboxRow[]; unaddressed: string[] } {
  const rows: OutboxRow[] = [];
  const unaddressed: string[] = [];
  for (const effect of effects) {
    if (effect.kind === 'action') {
      rows.push({ topic: outputs.actions, key: state.accountId, value: actionOf(state.accountId, effect) });
    } else if (effect.kind === 'notice') {
      if (recipient === undefined) {
        unaddressed.push(effect.template);
        continue;
      }
      const notice = noticeOf(state.accountId, recipient, effect);
      rows.push({ topic: outputs.notices, key: notice.messageId, value: notice });
    }
  }
  if (effects.some((effect) => effect.kind === 'decision')) {
    rows.push({ topic: outputs.decisions, key: state.accountId, value: decisionOf(state) });
  }
  return { rows, unaddressed };
}

/** enqueueOutbox for many rows in one statement, their order kept (outbox ids follow it). */
export async function enqueueRows(db: Queryable, rows: readonly OutboxRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO outbox (topic, key, payload)
     SELECT topic, key, payload FROM unnest($1::text[], $2::text[], $3::jsonb[]) WITH ORDINALITY AS r(topic, key, payload, n)
     ORDER BY n`,
    [rows.map((r) => r.topic), rows.map((r) => r.key), rows.map((r) => JSON.stringify(r.value))],
  );
}
