import { advanceTo, advanceWatermark, watermark, type Hour, type StreamProgress } from '@tally/fsm';
import { inTransaction, type Pool, type PoolClient } from '@tally/db';
import type { Logger } from '@tally/log';
import type { AbuseEffect } from '../core/effects.ts';
import type { AbuseEvent } from '../core/events.ts';
import { abuseMachine, wakeAt } from '../core/machine.ts';
import type { AbusePolicy } from '../core/policy.ts';
import { initialState, type AbuseState } from '../core/state.ts';
import { abuseTimeline } from '../core/timeline.ts';
import { effectRows, enqueueRows, type OutboxRow, type OutputTopics } from './effect-rows.ts';
import { deleteFacts, loadFacts, type StoredFact } from './fact-store.ts';
import {
  accountsToDecide,
  loadAccounts,
  loadClearances,
  loadClocked,
  loadWatermark,
  saveClocked,
  saveWatermark,
  type SavedState,
} from './state-store.ts';

export type { OutputTopics } from './effect-rows.ts';

export interface DeciderOptions {
  readonly pool: Pool;
  readonly policy: AbusePolicy;
  readonly outputs: OutputTopics;
  /** The inputs' progress now (stream-progress.ts). */
  readonly streams: () => Promise<StreamProgress[]>;
  /** Accounts per transaction. */
  readonly batchSize: number;
  /** Serializes passes of several abuse processes on one schema (pg_advisory_xact_lock). */
  readonly lockKey: string;
  readonly log: Logger;
  /** Called for each account whose machine threw (metrics). */
  readonly onAccountFailed?: (accountId: string) => void;
}

export interface PassOutcome {
  readonly mark: Hour | undefined;
  readonly accounts: number;
  readonly effects: number;
}

/**
 * One decider pass: moves the watermark (never back), then, for every account with facts, a timer or a clearance
 * below it, applies them to the account's machine (libs/fsm advanceTo: hour by hour, canonical order, ticks) and
 * stores the state, deletes the applied facts and enqueues the effects to the outbox, in one transaction per batch
 * of accounts. A crash before the commit leaves everything as it was; the next pass decides the same.
 */
export async function decidePass(options: DeciderOptions): Promise<PassOutcome> {
  const { pool, policy, log } = options;
  const streams = await options.streams();
  const mark = await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [options.lockKey]);
    const next = advanceWatermark(await loadWatermark(client), watermark(streams, policy.latenessHours));
    if (next !== undefined) await saveWatermark(client, next);
    return next;
  });
  if (mark === undefined) return { mark, accounts: 0, effects: 0 };
  const accounts = await accountsToDecide(pool, mark);
  let effects = 0;
  for (let i = 0; i < accounts.length; i += options.batchSize) {
    const chunk = accounts.slice(i, i + options.batchSize);
    effects += await inTransaction(pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [options.lockKey]);
      return decideChunk(client, chunk, mark, options);
    });
  }
  if (accounts.length > 0) log.debug({ mark, accounts: accounts.length, effects }, 'abuse decided');
  return { mark, accounts: accounts.length, effects };
}

/**
 * A batch of accounts in a few set-based statements: load states, records, facts and clearances; run each account's
 * machine (pure); store states, delete applied facts, enqueue effects. Returns the number of effects.
 */
async function decideChunk(
  client: PoolClient,
  accountIds: readonly string[],
  mark: Hour,
  options: DeciderOptions,
): Promise<number> {
  const { policy, log } = options;
  const machine = abuseMachine(policy);
  const timeline = abuseTimeline(policy);
  const clocked = await loadClocked(client, accountIds);
  const records = await loadAccounts(client, accountIds);
  const facts = groupBy(await loadFacts(client, accountIds, mark), (fact) => fact.accountId);
  const clearances = groupBy(await loadClearances(client, accountIds, mark), (c) => c.accountId);

  const saved: SavedState[] = [];
  const applied: StoredFact[] = [];
  const rows: OutboxRow[] = [];
  let count = 0;
  for (const accountId of accountIds) {
    const start = clocked.get(accountId) ?? { state: initialState(accountId), openHour: undefined };
    const record = records.get(accountId);
    const state: AbuseState = {
      ...start.state,
      account:
        record === undefined
          ? start.state.account
          : { plan: record.plan, freeCredit: record.freeCredit, createdAt: record.createdAt },
    };
    const open = start.openHour;
    const own = facts.get(accountId) ?? [];
    // Measurements of an hour already closed are not judged again (its decision is final); payments, invoices and a
    // person's decisions are never late: they apply in the first open hour.
    const stale = (fact: StoredFact) =>
      open !== undefined && fact.event.hour < open && (fact.event.kind === 'usage' || fact.event.kind === 'charge');
    const events: AbuseEvent[] = [
      ...own.filter((fact) => !stale(fact)).map((fact) => fact.event),
      ...(clearances.get(accountId) ?? []).map((c) => c.event),
    ];
    let result: ReturnType<typeof advanceTo<AbuseState, AbuseEvent, AbuseEffect>>;
    try {
      result = advanceTo(machine, timeline, { state, openHour: open }, events, mark);
    } catch (error) {
      // A machine that throws (a bug, a state row of an older shape) must not hold back every other account: this
      // one keeps its facts and state and is tried again next pass, loudly, until the code or the row is fixed.
      log.error({ err: error, accountId }, 'abuse machine failed for an account; its facts wait');
      options.onAccountFailed?.(accountId);
      continue;
    }
    const pending = new Set(result.pending);
    applied.push(...own.filter((fact) => !pending.has(fact.event)));
    // A timer never fires in a closed hour (advanceTo): store it no earlier than the open hour, or the account would
    // be picked by every pass with nothing to do.
    const wake = wakeAt(policy, result.clocked.state);
    const openHour = result.clocked.openHour;
    saved.push({ clocked: result.clocked, wake: wake === undefined ? undefined : Math.max(wake, openHour ?? wake) });
    const out = effectRows(result.clocked.state, record?.email, result.effects, options.outputs);
    rows.push(...out.rows);
    for (const template of out.unaddressed) {
      log.warn({ accountId, template }, 'notice not sent: account record unknown');
    }
    count += result.effects.length;
  }
  await deleteFacts(client, applied);
  await saveClocked(client, saved);
  await enqueueRows(client, rows);
  return count;
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list === undefined) groups.set(key, [item]);
    else list.push(item);
  }
  return groups;
}
