import { advanceTo, advanceWatermark, watermark, type Hour, type StreamProgress } from '@tally/fsm';
import { inTransaction, type Pool, type PoolClient } from '@tally/db';
import { enqueueOutbox } from '@tally/kafka';
import type { Logger } from '@tally/log';
import type { AbuseEffect } from '../core/effects.ts';
import type { AbuseEvent } from '../core/events.ts';
import { abuseMachine, wakeAt } from '../core/machine.ts';
import { actionOf, decisionOf, noticeOf } from '../core/outputs.ts';
import type { AbusePolicy } from '../core/policy.ts';
import { initialState, type AbuseState } from '../core/state.ts';
import { abuseTimeline } from '../core/timeline.ts';
import { deleteFacts, loadFacts, type StoredFact } from './fact-store.ts';
import {
  accountsToDecide,
  loadAccount,
  loadClearances,
  loadClocked,
  loadWatermark,
  saveClocked,
  saveWatermark,
} from './state-store.ts';

export interface OutputTopics {
  readonly decisions: string;
  readonly actions: string;
  readonly notices: string;
}

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
  const machine = abuseMachine(policy);
  const timeline = abuseTimeline(policy);
  let effects = 0;
  for (let i = 0; i < accounts.length; i += options.batchSize) {
    const chunk = accounts.slice(i, i + options.batchSize);
    effects += await inTransaction(pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [options.lockKey]);
      let count = 0;
      for (const accountId of chunk) {
        count += await decideAccount(client, accountId, mark, { machine, timeline, options });
      }
      return count;
    });
  }
  if (accounts.length > 0) log.debug({ mark, accounts: accounts.length, effects }, 'abuse decided');
  return { mark, accounts: accounts.length, effects };
}

interface Tools {
  machine: ReturnType<typeof abuseMachine>;
  timeline: ReturnType<typeof abuseTimeline>;
  options: DeciderOptions;
}

async function decideAccount(client: PoolClient, accountId: string, mark: Hour, tools: Tools): Promise<number> {
  const { options } = tools;
  const stored = await loadClocked(client, accountId);
  const record = await loadAccount(client, accountId);
  const start = stored ?? { state: initialState(accountId), openHour: undefined };
  const state: AbuseState = {
    ...start.state,
    account:
      record === undefined
        ? start.state.account
        : { plan: record.plan, freeCredit: record.freeCredit, createdAt: record.createdAt },
  };
  const facts = await loadFacts(client, accountId, mark);
  // Measurements of an hour already closed are not judged again (its decision is final); payments, invoices and a
  // person's decisions are never late: they apply in the first open hour.
  const open = start.openHour;
  const stale = (fact: StoredFact) =>
    open !== undefined && fact.event.hour < open && (fact.event.kind === 'usage' || fact.event.kind === 'charge');
  const live = facts.filter((fact) => !stale(fact));
  const clearances = await loadClearances(client, accountId, open, mark);
  const events: AbuseEvent[] = [...live.map((fact) => fact.event), ...clearances];
  const result = advanceTo(tools.machine, tools.timeline, { state, openHour: open }, events, mark);
  const pending = new Set(result.pending);
  await deleteFacts(
    client,
    accountId,
    facts.filter((fact) => !pending.has(fact.event)),
  );
  // A timer never fires in a closed hour (advanceTo): store it no earlier than the open hour, or the account would be
  // picked again by every pass with nothing to do.
  const wake = wakeAt(options.policy, result.clocked.state);
  const openHour = result.clocked.openHour;
  await saveClocked(client, result.clocked, wake === undefined ? undefined : Math.max(wake, openHour ?? wake));
  await enqueueEffects(client, result.clocked.state, record?.email, result.effects, options);
  return result.effects.length;
}

async function enqueueEffects(
  client: PoolClient,
  state: AbuseState,
  recipient: string | undefined,
  effects: readonly AbuseEffect[],
  options: DeciderOptions,
): Promise<void> {
  const { outputs, log } = options;
  // Actions and notices first, in the order decided; the decision once per account and pass (full, versioned).
  for (const effect of effects) {
    if (effect.kind === 'action') {
      await enqueueOutbox(client, outputs.actions, state.accountId, actionOf(state.accountId, effect));
    } else if (effect.kind === 'notice') {
      if (recipient === undefined) {
        log.warn({ accountId: state.accountId, template: effect.template }, 'notice not sent: account record unknown');
        continue;
      }
      const notice = noticeOf(state.accountId, recipient, effect);
      await enqueueOutbox(client, outputs.notices, notice.messageId, notice);
    }
  }
  if (effects.some((effect) => effect.kind === 'decision')) {
    await enqueueOutbox(client, outputs.decisions, state.accountId, decisionOf(state));
  }
}
