/**
 * The finalizer's watermark: a pure planner for when a due month may be finalized, even while agents keep sending and
 * metering keeps publishing. The I/O around it is `caught-up.ts` (reads) and `finalize-watermark-store.ts` (rows).
 *
 * A **round** starts when a month falls due (its end in the account's time zone + grace has passed) and no finished
 * round covers it. It moves through stages; each stage's target is snapshotted once, stored, and never moved:
 *
 * 1. `samples`: traffic.samples' high watermarks when the round starts. Wait until metering's offsets, stored with
 *    its results, reach them on every partition. A partition empty at the snapshot is passed at once; one whose log
 *    start has since moved past its target is passed too (retention deleted what was unread: a gap, invariant 2).
 *    Example: highs {0: 120, 1: 80}; metering stored {0: 120, 1: 64} → wait ('samples-unmetered', 16 behind).
 * 2. `held`: the latest `held_at` in metering_pending when stage 1 passed. A sample whose instance the inventory did
 *    not know yet is consumed but held, not metered; wait until none held at or before then remains (each is released
 *    into usage or, after METERING_MAX_PENDING_WAIT_MS, sent to the late topic, so this wait is bounded).
 *    Example: held_until 1767225600000; two samples held then still wait → wait ('samples-held', 2).
 * 3. `usage-outbox`: metering's highest outbox id when stage 2 passed. Metering writes usage rows to its outbox in the
 *    transaction that stores its offsets (or releases a held sample), so every usage value derived from the
 *    snapshotted samples has an id at or below it. Wait until no unsent usage.hourly row with id ≤ maxId remains. A
 *    parked row ≤ maxId refuses ('usage-parked': it can never be sent as it is; an operator must act, or a later
 *    value of the same instance-hour supersede it).
 *    Example: maxId 5000; unsent usage ids 4990 and 7100 → wait ('usage-unsent', 1); id 7100 is not waited for.
 * 4. `billing`: the ends of billing's topics (usage.hourly, prices, accounts) when stage 3 passed. Wait until
 *    billing's stored offsets reach them; then the round is `done`.
 *    Example: usage.hourly highs {0: 900}; billing stored {0: 870} → wait ('billing-behind', 30).
 *
 * A done round taken at T covers every month due at or before T: anything produced before T has been metered, sent
 * and read. Samples and usage produced after T are not waited for, so continuous load cannot hold a round back. A
 * month that falls due after T starts the next round. A restart resumes the stored round at its stored targets.
 */

/** Next offset per partition ("0": "120"), decimal strings: Kafka offsets are 64-bit. */
export type PartitionOffsets = Readonly<Record<string, string>>;

/** A consumer group's target on one topic. */
export interface GroupTarget {
  readonly groupId: string;
  readonly topic: string;
  readonly offsets: PartitionOffsets;
}

export type WatermarkStage = 'samples' | 'held' | 'usage-outbox' | 'billing' | 'done';

export interface WatermarkRound {
  readonly id: string;
  /** Billing's clock when the round started: it covers months due at or before this. */
  readonly takenAt: number;
  readonly stage: WatermarkStage;
  readonly samples: GroupTarget;
  /** From stage `held` on: the latest held_at in metering_pending then; absent when nothing was held. */
  readonly heldUntil?: string;
  /** From stage `usage-outbox` on: metering's highest outbox id then ("0": the outbox was empty). */
  readonly outboxMaxId?: string;
  /** From stage `billing` on. */
  readonly billing?: readonly GroupTarget[];
}

/** One partition of a topic as `admin.fetchTopicOffsets` returns it. */
export interface PartitionEnds {
  readonly partition: number;
  readonly low: string;
  readonly high: string;
}

/**
 * The target a snapshot stores: each partition's high watermark, leaving out partitions that are empty (nothing to
 * wait for there).
 *
 * @example
 * snapshotOffsets([{ partition: 0, low: '0', high: '120' }, { partition: 1, low: '7', high: '7' }]); // { '0': '120' }
 */
export function snapshotOffsets(ends: readonly PartitionEnds[]): PartitionOffsets {
  const offsets: Record<string, string> = {};
  for (const { partition, low, high } of ends) if (BigInt(high) > BigInt(low)) offsets[String(partition)] = high;
  return offsets;
}

/**
 * Records a group still has to read to reach `target`, summed over partitions. A partition with no stored offset
 * has read nothing. With `lows` (each partition's current log start), a partition whose log start has reached its
 * target counts as passed: what was below it is gone, and waiting would never end.
 *
 * @example
 * recordsBehind({ '0': '120', '1': '80' }, new Map([[0, '120'], [1, '64']]));        // 16n
 * recordsBehind({ '0': '120' }, new Map());                                          // 120n
 * recordsBehind({ '0': '120' }, new Map(), new Map([[0, '130']]));                   // 0n
 */
export function recordsBehind(
  target: PartitionOffsets,
  stored: ReadonlyMap<number, string>,
  lows?: ReadonlyMap<number, string>,
): bigint {
  let behind = 0n;
  for (const [partition, offset] of Object.entries(target)) {
    const want = BigInt(offset);
    const low = lows?.get(Number(partition));
    if (low !== undefined && BigInt(low) >= want) continue;
    const next = stored.get(Number(partition));
    const at = next === undefined ? 0n : BigInt(next);
    if (at < want) behind += want - at;
  }
  return behind;
}

/** What the I/O side observed for the round's current stage. */
export type StageObservation =
  | { readonly stage: 'samples'; readonly meteringBehind: bigint }
  /** Samples metering still holds for their inventory, held at or before the round's heldUntil. */
  | { readonly stage: 'held'; readonly held: number }
  /** usage.hourly rows with id ≤ outboxMaxId: not parked and not sent yet, and parked. */
  | { readonly stage: 'usage-outbox'; readonly unsent: number; readonly parked: number }
  | { readonly stage: 'billing'; readonly billingBehind: bigint };

export type WaitReason = 'samples-unmetered' | 'usage-unsent' | 'samples-held' | 'billing-behind';

export type StageStep =
  /** The stage's condition holds: snapshot the next stage's target (or mark the round done). */
  | { readonly kind: 'advance'; readonly to: Exclude<WatermarkStage, 'samples'> }
  /** Still on its way: look again soon. `behind` counts records or rows. */
  | { readonly kind: 'wait'; readonly reason: WaitReason; readonly behind: number }
  /** Usage that can never arrive until an operator acts: finalizing now would bill without it. */
  | { readonly kind: 'refuse'; readonly reason: 'usage-parked'; readonly parked: number };

/**
 * The step a round takes on what was observed for its current stage. Parked usage comes before unsent usage
 * because it is the one that needs a person.
 *
 * @example
 * stageStep({ stage: 'samples', meteringBehind: 16n });                            // wait samples-unmetered 16
 * stageStep({ stage: 'samples', meteringBehind: 0n });                             // advance to held
 * stageStep({ stage: 'held', held: 2 });                                           // wait samples-held 2
 * stageStep({ stage: 'usage-outbox', unsent: 3, parked: 1 });                     // refuse usage-parked 1
 * stageStep({ stage: 'billing', billingBehind: 0n });                              // advance to done
 */
export function stageStep(observed: StageObservation): StageStep {
  switch (observed.stage) {
    case 'samples':
      return observed.meteringBehind > 0n
        ? { kind: 'wait', reason: 'samples-unmetered', behind: Number(observed.meteringBehind) }
        : { kind: 'advance', to: 'held' };
    case 'held':
      return observed.held > 0
        ? { kind: 'wait', reason: 'samples-held', behind: observed.held }
        : { kind: 'advance', to: 'usage-outbox' };
    case 'usage-outbox':
      if (observed.parked > 0) return { kind: 'refuse', reason: 'usage-parked', parked: observed.parked };
      if (observed.unsent > 0) return { kind: 'wait', reason: 'usage-unsent', behind: observed.unsent };
      return { kind: 'advance', to: 'billing' };
    case 'billing':
      return observed.billingBehind > 0n
        ? { kind: 'wait', reason: 'billing-behind', behind: Number(observed.billingBehind) }
        : { kind: 'advance', to: 'done' };
  }
}

export interface RoundPlanInput {
  /** The latest instant (end + grace) at which a draft month fell due; undefined when none is due. */
  readonly dueAt: number | undefined;
  /** The round in progress, if any. */
  readonly open: WatermarkRound | undefined;
  /** The latest done round, if any, and whether billing's stored offsets are still at or past its targets. */
  readonly done: WatermarkRound | undefined;
  readonly doneStillHolds: boolean;
}

export interface RoundPlan {
  /** Months due at or before this instant may be finalized now; undefined: none. */
  readonly coveredUntil: number | undefined;
  /** Start a round now (snapshot traffic.samples): something due is not covered and no round is in progress. */
  readonly start: boolean;
}

/**
 * Which months a pass may finalize, and whether to start a round. The latest done round covers what fell due up to
 * its start, unless billing's offsets have since moved back below its targets (an operator's replay is re-reading):
 * then nothing is covered until a newer round is done.
 *
 * @example
 * planRound({ dueAt: 100, open: undefined, done: undefined, doneStillHolds: false });   // start, nothing covered
 * planRound({ dueAt: 100, open: undefined, done: round(150), doneStillHolds: true });    // covered until 150
 * planRound({ dueAt: 200, open: undefined, done: round(150), doneStillHolds: true });    // covered until 150, start
 * planRound({ dueAt: 200, open: round(210), done: round(150), doneStillHolds: true });   // covered until 150
 */
export function planRound(input: RoundPlanInput): RoundPlan {
  if (input.dueAt === undefined) return { coveredUntil: undefined, start: false };
  const coveredUntil = input.done !== undefined && input.doneStillHolds ? input.done.takenAt : undefined;
  const start = input.open === undefined && (coveredUntil === undefined || coveredUntil < input.dueAt);
  return { coveredUntil, start };
}

/**
 * Whether a stored round was taken for the groups and topics configured now. A round for another samples topic or
 * metering group, or (once it has billing targets) other billing groups or topics, says nothing about this
 * configuration (it changed across a restart, e.g. a rebuild under a new group): it is abandoned, never trusted.
 *
 * @example
 * matchesConfig(round, { groupId: 'metering', topic: 'traffic.samples.v1' }, [{ groupId: 'billing', topic: 'usage.hourly.v1' }]);
 */
export function matchesConfig(
  round: WatermarkRound,
  samples: { readonly groupId: string; readonly topic: string },
  billing: readonly { readonly groupId: string; readonly topic: string }[],
): boolean {
  if (round.samples.groupId !== samples.groupId || round.samples.topic !== samples.topic) return false;
  if (round.billing === undefined) return true;
  const name = (g: { groupId: string; topic: string }) => `${g.groupId}\u0000${g.topic}`;
  const want = new Set(billing.map(name));
  return round.billing.length === want.size && round.billing.every((g) => want.has(name(g)));
}
