import { loadOffsets, quoteIdentifier, type Queryable } from '@tally/db';
import type { Logger } from '@tally/log';
import type { Admin } from 'kafkajs';
import { Counter, Gauge, type Registry } from 'prom-client';
import { abandonRound, advanceRound, loadRounds, startRound } from './finalize-watermark-store.ts';
import {
  matchesConfig,
  planRound,
  recordsBehind,
  snapshotOffsets,
  stageStep,
  type GroupTarget,
  type StageObservation,
  type WatermarkRound,
  type WatermarkStage,
} from './finalize-watermark.ts';

/** A consumer group and the topic it reads. */
export interface GroupTopic {
  readonly groupId: string;
  readonly topic: string;
}

export interface FinalizeGateOptions {
  readonly admin: Admin;
  /** Billing's pool: its schema holds billing's offsets and the watermark rounds. */
  readonly db: Queryable;
  /** Billing's groups and the topics they must have read up to each round's snapshot. */
  readonly groups: readonly GroupTopic[];
  /**
   * Metering's traffic group and the traffic.samples topic it reads. Absent when no metering feeds this billing
   * (tests, benchmarks): rounds then start at stage `held` with nothing held, and wait for the outbox and billing.
   */
  readonly samples?: GroupTopic;
  /** The schema holding metering's offsets, outbox and held samples (same database), and usage.hourly's name. */
  readonly meteringSchema: string;
  readonly usageTopic: string;
  readonly log: Logger;
  readonly registry?: Registry;
}

export interface GateQuery {
  /** The latest instant at which a draft month fell due (its end + grace): a round must start at or after it. */
  readonly dueAt: number;
  readonly now: number;
}

/**
 * The finalizer's gate: months due at or before the returned instant may be finalized (undefined: none yet). It
 * starts, resumes and advances the watermark rounds of `finalize-watermark.ts`, as far as each pass allows.
 */
export type FinalizeGate = (query: GateQuery) => Promise<number | undefined>;

/** Next offsets `groupId` stored for `topic` in `schema`'s consumer_offsets (metering's, not billing's search path). */
async function offsetsIn(db: Queryable, schema: string, groupId: string, topic: string): Promise<Map<number, string>> {
  const result = await db.query<{ partition: number; next_offset: string }>(
    `SELECT partition, next_offset FROM ${quoteIdentifier(schema)}.consumer_offsets WHERE group_id = $1 AND topic = $2`,
    [groupId, topic],
  );
  return new Map(result.rows.map((row) => [row.partition, row.next_offset]));
}

/**
 * The finalizer's `gate` (see `finalize-watermark.ts` for the stages and why each target is fixed once taken). Each
 * stage reads PostgreSQL only; Kafka is asked for topic ends when a snapshot is taken, and for log starts only while
 * a group is behind. Metrics: `tally_finalize_not_ready_total{reason}` per pass that waits,
 * `tally_finalize_watermark_waiting{stage}` (records or rows still to go at the stage that blocks),
 * `tally_finalize_parked_usage_rows`, `tally_finalize_covered_until_seconds`. The blocking stage is logged when
 * it changes; parked usage is an error log on every pass until an operator resolves it.
 *
 * @example
 * const gate = finalizeGate({ admin, db: pool, groups, samples: { groupId: 'metering', topic: 'traffic.samples.v1' },
 *   meteringSchema: 'public', usageTopic: 'usage.hourly.v1', log });
 * await gate({ dueAt: monthEnd + grace, now: Date.now() }); // undefined until a round taken after dueAt is done
 */
export function finalizeGate(options: FinalizeGateOptions): FinalizeGate {
  const { admin, db, log } = options;
  // Without metering, a round's samples target is empty: nothing to meter, nothing held.
  const samples = options.samples ?? { groupId: '', topic: '' };
  const schema = options.meteringSchema;
  const registers = options.registry === undefined ? [] : [options.registry];
  const parkedGauge = new Gauge({
    name: 'tally_finalize_parked_usage_rows',
    help: "usage.hourly rows parked in metering's outbox that the finalizer waits for: it refuses while there are any",
    registers,
  });
  const refused = new Counter({
    name: 'tally_finalize_not_ready_total',
    help: 'Finalizer passes whose months wait for a watermark stage, by reason',
    labelNames: ['reason'],
    registers,
  });
  const waiting = new Gauge({
    name: 'tally_finalize_watermark_waiting',
    help: 'Records (samples, usage rows, billing topic records) the watermark round in progress still waits for, by stage',
    labelNames: ['stage'],
    registers,
  });
  const coveredGauge = new Gauge({
    name: 'tally_finalize_covered_until_seconds',
    help: 'Months due at or before this instant may be finalized (the latest done watermark round)',
    registers,
  });
  let lastBlock = '';

  /** A group's records still to read towards `target`; log starts are fetched only if it seems behind. */
  async function behind(target: GroupTarget, stored: ReadonlyMap<number, string>): Promise<bigint> {
    const first = recordsBehind(target.offsets, stored);
    if (first === 0n) return 0n;
    const ends = await admin.fetchTopicOffsets(target.topic);
    return recordsBehind(target.offsets, stored, new Map(ends.map((e) => [e.partition, e.low])));
  }

  async function billingBehind(targets: readonly GroupTarget[]): Promise<bigint> {
    let sum = 0n;
    for (const target of targets) sum += await behind(target, await loadOffsets(db, target.groupId, target.topic));
    return sum;
  }

  async function observe(round: WatermarkRound): Promise<StageObservation> {
    switch (round.stage) {
      case 'samples': {
        const stored = await offsetsIn(db, schema, round.samples.groupId, round.samples.topic);
        return { stage: 'samples', meteringBehind: await behind(round.samples, stored) };
      }
      case 'held': {
        if (round.heldUntil === undefined || options.samples === undefined) return { stage: 'held', held: 0 };
        const result = await db.query<{ held: string }>(
          `SELECT count(*) AS held FROM ${quoteIdentifier(schema)}.metering_pending
           WHERE group_id = $1 AND topic = $2 AND held_at <= $3`,
          [round.samples.groupId, round.samples.topic, round.heldUntil],
        );
        return { stage: 'held', held: Number(result.rows[0]?.held ?? 0) };
      }
      case 'usage-outbox': {
        const result = await db.query<{ unsent: string; parked: string }>(
          `SELECT count(*) FILTER (WHERE parked_at IS NULL) AS unsent, count(*) FILTER (WHERE parked_at IS NOT NULL) AS parked
           FROM ${quoteIdentifier(schema)}.outbox WHERE topic = $1 AND id <= $2`,
          [options.usageTopic, round.outboxMaxId ?? '0'],
        );
        const row = result.rows[0];
        return { stage: 'usage-outbox', unsent: Number(row?.unsent ?? 0), parked: Number(row?.parked ?? 0) };
      }
      case 'billing':
        return { stage: 'billing', billingBehind: await billingBehind(round.billing ?? []) };
      case 'done':
        throw new Error('a done round has no stage to observe');
    }
  }

  /** The next stage's target, read after the previous stage's condition was seen to hold (order matters). */
  async function targetOf(
    to: Exclude<WatermarkStage, 'samples'>,
  ): Promise<{ heldUntil?: string | undefined; outboxMaxId?: string; billing?: readonly GroupTarget[] }> {
    switch (to) {
      case 'held': {
        if (options.samples === undefined) return {};
        const result = await db.query<{ held_until: string | null }>(
          `SELECT max(held_at)::text AS held_until FROM ${quoteIdentifier(schema)}.metering_pending
           WHERE group_id = $1 AND topic = $2`,
          [samples.groupId, samples.topic],
        );
        return { heldUntil: result.rows[0]?.held_until ?? undefined };
      }
      case 'usage-outbox': {
        const result = await db.query<{ max_id: string }>(
          `SELECT COALESCE(max(id), 0)::text AS max_id FROM ${quoteIdentifier(schema)}.outbox`,
        );
        return { outboxMaxId: result.rows[0]?.max_id ?? '0' };
      }
      case 'billing': {
        const billing: GroupTarget[] = [];
        for (const { groupId, topic } of options.groups) {
          billing.push({ groupId, topic, offsets: snapshotOffsets(await admin.fetchTopicOffsets(topic)) });
        }
        return { billing };
      }
      case 'done':
        return {};
    }
  }

  function blocked(round: WatermarkRound, reason: string, count: number, stage: WatermarkStage): void {
    refused.inc({ reason });
    waiting.reset();
    waiting.set({ stage }, count);
    const block = `${round.id}/${reason}`;
    if (block !== lastBlock) {
      log.info({ round: round.id, takenAt: round.takenAt, stage, reason, behind: count }, 'finalizer waits');
      lastBlock = block;
    }
  }

  /** Moves `round` through as many stages as hold now; returns it as far as it got. */
  async function advance(start: WatermarkRound): Promise<WatermarkRound> {
    let round = start;
    while (round.stage !== 'done') {
      const step = stageStep(await observe(round));
      if (step.kind === 'refuse') {
        parkedGauge.set(step.parked);
        blocked(round, step.reason, step.parked, round.stage);
        log.error(
          { topic: options.usageTopic, schema, parked: step.parked, round: round.id },
          'finalizer refuses: usage parked in metering outbox would be missing from invoices',
        );
        return round;
      }
      parkedGauge.set(0);
      if (step.kind === 'wait') {
        blocked(round, step.reason, step.behind, round.stage);
        return round;
      }
      const target = await targetOf(step.to);
      if (!(await advanceRound(db, round.id, round.stage, step.to, target))) {
        // Another billing process moved it first: continue from what it stored.
        const { open, done } = await loadRounds(db);
        const again = open ?? (done?.id === round.id ? done : undefined);
        if (again === undefined) return round;
        round = again;
        continue;
      }
      log.info({ round: round.id, takenAt: round.takenAt, stage: step.to, ...target }, 'finalize watermark advanced');
      round = { ...round, ...target, stage: step.to } as WatermarkRound;
    }
    waiting.reset();
    return round;
  }

  return async ({ dueAt, now }) => {
    const rounds = await loadRounds(db);
    const done = rounds.done;
    let open = rounds.open;
    if (open !== undefined && !matchesConfig(open, samples, options.groups)) {
      log.warn(
        { round: open.id, samples: open.samples.topic },
        'finalize watermark round abandoned: configuration changed',
      );
      await abandonRound(db, open.id);
      open = undefined;
    }
    // A done round holds while billing's offsets are still at its targets: a replay that moved them back re-reads.
    const doneStillHolds =
      done !== undefined &&
      matchesConfig(done, samples, options.groups) &&
      (await billingBehind(done.billing ?? [])) === 0n;
    const plan = planRound({ dueAt, open, done, doneStillHolds });
    if (plan.start) {
      const offsets =
        options.samples === undefined ? {} : snapshotOffsets(await admin.fetchTopicOffsets(options.samples.topic));
      open = await startRound(db, now, { ...samples, offsets });
      log.info({ round: open.id, takenAt: open.takenAt, dueAt, samples: open.samples }, 'finalize watermark started');
    }
    let covered = plan.coveredUntil;
    if (open !== undefined) {
      const round = await advance(open);
      if (round.stage === 'done' && (covered === undefined || round.takenAt > covered)) covered = round.takenAt;
    } else waiting.reset();
    if (covered !== undefined) coveredGauge.set(covered / 1000);
    return covered;
  };
}
