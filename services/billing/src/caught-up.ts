import { loadOffsets, quoteIdentifier, type Queryable } from '@tally/db';
import type { Logger } from '@tally/log';
import type { Admin } from 'kafkajs';
import { Counter, Gauge, type Registry } from 'prom-client';

/** A consumer group and the topic whose end it must have reached. */
export interface GroupTopic {
  readonly groupId: string;
  readonly topic: string;
}

/**
 * Whether every group's offsets stored in PostgreSQL (with its results) have reached the topic's end as of now.
 * A partition never written is caught up; one with records but no stored offset is not.
 *
 * @example
 * await caughtUp(admin, pool, [{ groupId: 'billing', topic: 'usage.hourly.v1' }]); // true
 */
export async function caughtUp(admin: Admin, db: Queryable, groups: readonly GroupTopic[]): Promise<boolean> {
  for (const { groupId, topic } of groups) {
    const ends = await admin.fetchTopicOffsets(topic);
    const stored = await loadOffsets(db, groupId, topic);
    for (const { partition, high, low } of ends) {
      if (BigInt(high) === BigInt(low)) continue;
      const next = stored.get(partition);
      if (next === undefined || BigInt(next) < BigInt(high)) return false;
    }
  }
  return true;
}

/** Metering's outbox rows for usage.hourly: not yet sent, and parked (they can never be sent as they are). */
export interface UsageBacklog {
  readonly unsent: number;
  readonly parked: number;
}

export type FinalizeReadiness =
  | { readonly ready: true }
  /** Usage is still on its way (metering's outbox, or billing's consumers behind): wait. */
  | { readonly ready: false; readonly reason: 'usage-unsent' | 'behind' }
  /** Usage can never arrive until an operator acts: finalizing now would bill without it. */
  | { readonly ready: false; readonly reason: 'usage-parked'; readonly parked: number };

/**
 * Whether the finalizer may finalize: no usage parked in metering's outbox, none waiting to be sent, and billing's
 * consumers at the end of their topics. Parked usage comes first because it is the one that needs a person.
 *
 * @example
 * finalizeReadiness({ unsent: 0, parked: 0 }, true);  // { ready: true }
 * finalizeReadiness({ unsent: 12, parked: 0 }, true); // { ready: false, reason: 'usage-unsent' }
 * finalizeReadiness({ unsent: 0, parked: 1 }, true);  // { ready: false, reason: 'usage-parked', parked: 1 }
 * finalizeReadiness({ unsent: 0, parked: 0 }, false); // { ready: false, reason: 'behind' }
 */
export function finalizeReadiness(usage: UsageBacklog, consumersCaughtUp: boolean): FinalizeReadiness {
  if (usage.parked > 0) return { ready: false, reason: 'usage-parked', parked: usage.parked };
  if (usage.unsent > 0) return { ready: false, reason: 'usage-unsent' };
  if (!consumersCaughtUp) return { ready: false, reason: 'behind' };
  return { ready: true };
}

/** Counts metering's outbox rows for `topic` in `schema` (metering's tables; the same database as billing's). */
export async function usageBacklog(db: Queryable, schema: string, topic: string): Promise<UsageBacklog> {
  const result = await db.query<{ unsent: string; parked: string }>(
    `SELECT count(*) FILTER (WHERE parked_at IS NULL) AS unsent, count(*) FILTER (WHERE parked_at IS NOT NULL) AS parked
     FROM ${quoteIdentifier(schema)}.outbox WHERE topic = $1`,
    [topic],
  );
  const row = result.rows[0];
  return { unsent: Number(row?.unsent ?? 0), parked: Number(row?.parked ?? 0) };
}

export interface FinalizeGateOptions {
  readonly admin: Admin;
  readonly db: Queryable;
  /** Billing's groups and the topics they must have read to the end. */
  readonly groups: readonly GroupTopic[];
  /** The schema holding metering's outbox, and the usage.hourly topic name. */
  readonly meteringSchema: string;
  readonly usageTopic: string;
  readonly log: Logger;
  readonly registry?: Registry;
}

/**
 * The finalizer's `caughtUp`: metering's outbox is read before the topics' ends, so a usage row sent between the
 * two reads is already in the end that the lag check sees. Parked usage is an error log and a metric on every pass
 * until an operator resolves it (a later value for the same key supersedes it).
 */
export function finalizeGate(options: FinalizeGateOptions): () => Promise<boolean> {
  const registers = options.registry === undefined ? [] : [options.registry];
  const parkedGauge = new Gauge({
    name: 'tally_finalize_parked_usage_rows',
    help: "usage.hourly rows parked in metering's outbox: the finalizer refuses to finalize while there are any",
    registers,
  });
  const refused = new Counter({
    name: 'tally_finalize_not_ready_total',
    help: 'Finalizer passes that did not finalize, by reason',
    labelNames: ['reason'],
    registers,
  });
  return async () => {
    const usage = await usageBacklog(options.db, options.meteringSchema, options.usageTopic);
    const readiness = finalizeReadiness(usage, await caughtUp(options.admin, options.db, options.groups));
    parkedGauge.set(usage.parked);
    if (readiness.ready) return true;
    refused.inc({ reason: readiness.reason });
    if (readiness.reason === 'usage-parked') {
      options.log.error(
        { topic: options.usageTopic, schema: options.meteringSchema, parked: readiness.parked },
        'finalizer refuses: usage parked in metering outbox would be missing from invoices',
      );
    }
    return false;
  };
}
