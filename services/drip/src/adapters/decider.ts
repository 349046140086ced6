import { advanceTo, advanceWatermark, watermark, type Hour, type StreamProgress } from '@tally/fsm';
import { inTransaction, type Pool, type Queryable } from '@tally/db';
import { enqueueOutbox } from '@tally/kafka';
import { nextTimer, type DripEffect } from '../core/decide.ts';
import type { DripEvent } from '../core/events.ts';
import { dripMachine } from '../core/machine.ts';
import type { DripPolicy } from '../core/policy.ts';
import { dripTimeline } from '../core/timeline.ts';
import { deleteEvents, loadEvents } from './event-store.ts';
import { accountsToMove, lockStates, lockWatermark, saveStates, storeWatermark } from './state-store.ts';

export interface DeciderOptions {
  readonly pool: Pool;
  readonly policy: DripPolicy;
  /** Where the mails go (through the outbox). */
  readonly notificationsTopic: string;
  /** The inputs' progress, read inside the pass's transaction. */
  readonly progress: (db: Queryable) => Promise<StreamProgress[]>;
  /** Accounts moved per transaction. */
  readonly batchSize?: number;
}

export interface PassOutcome {
  readonly watermark: Hour | undefined;
  readonly accounts: number;
  readonly mails: number;
  /** More accounts were due than one pass moves: run again at once. */
  readonly more: boolean;
}

/**
 * One decider pass, one transaction: compute the watermark from the inputs' progress (never moving back), move every
 * account with buffered events or a timer below it (libs/fsm advanceTo: hour by hour, each hour's events in the
 * canonical order, then the tick), write the states, delete the applied events and put the mails in the outbox.
 * A mail is enqueued in the same transaction as the state that records it as decided: it goes out once.
 */
export async function decidePass(options: DeciderOptions): Promise<PassOutcome> {
  const { pool, policy } = options;
  const limit = options.batchSize ?? 500;
  const machine = dripMachine(policy);
  const timeline = dripTimeline(policy);
  return inTransaction(pool, async (client) => {
    const stored = await lockWatermark(client);
    const mark = advanceWatermark(stored, watermark(await options.progress(client), policy.latenessHours));
    if (mark === undefined) return { watermark: undefined, accounts: 0, mails: 0, more: false };
    const accounts = await accountsToMove(client, mark, limit);
    const states = await lockStates(client, accounts);
    const events = await loadEvents(client, accounts, mark);
    const byAccount = new Map<string, { id: string; event: DripEvent }[]>();
    for (const stored of events) {
      const list = byAccount.get(stored.accountId) ?? [];
      list.push({ id: stored.id, event: stored.event });
      byAccount.set(stored.accountId, list);
    }
    const rows = [];
    const applied: string[] = [];
    const mails: DripEffect[] = [];
    for (const [account, clocked] of states) {
      const buffered = byAccount.get(account) ?? [];
      const run = advanceTo(
        machine,
        timeline,
        clocked,
        buffered.map((entry) => entry.event),
        mark,
      );
      const pending = new Set(run.pending);
      for (const entry of buffered) if (!pending.has(entry.event)) applied.push(entry.id);
      rows.push({ clocked: run.clocked, dueAt: nextTimer(policy, run.clocked.state) });
      mails.push(...run.effects);
    }
    await saveStates(client, rows);
    await deleteEvents(client, applied);
    for (const mail of mails) await enqueueOutbox(client, options.notificationsTopic, mail.messageId, mail);
    await storeWatermark(client, mark);
    return { watermark: mark, accounts: accounts.length, mails: mails.length, more: accounts.length === limit };
  });
}
