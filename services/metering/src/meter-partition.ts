import type { Queryable } from '@tally/db';
import type { LateSample } from '@tally/kafka';
import { usageKey, type TrafficSample } from '@tally/records';
import { toUsageHourly } from './instance-hour.ts';
import { loadInstances } from './inventory-store.ts';
import { InventoryTable } from './inventory-table.ts';
import { instanceHourKeys, meterBatch, type MeterBatchResult, type RejectedSample } from './meter-batch.ts';
import { enqueueOutboxBatch } from './outbox-batch.ts';
import type { PendingLimits } from './pending-samples.ts';
import { loadPending, lockPartition, savePending, type PartitionRef } from './pending-store.ts';
import { loadStates, upsertStates } from './usage-store.ts';
import type { SampleVerdict, ValidationConfig } from './validate-sample.ts';

export interface MeterPartitionOptions {
  readonly validation: ValidationConfig;
  readonly limits: PendingLimits;
  readonly usageTopic: string;
  readonly lateTopic: string;
  /** Ships dead letters (counter overflows found while merging) before the transaction commits. */
  readonly deadLetter: (rejected: readonly RejectedSample[]) => Promise<void>;
}

export interface MeterPartitionResult extends MeterBatchResult {
  /** States written (and queued for usage.hourly). */
  readonly written: number;
  /** Samples waiting for the inventory before and after. */
  readonly pendingBefore: number;
  readonly pending: number;
}

/**
 * Meters `samples` of one partition inside the caller's transaction: locks the partition, loads what the pure
 * core needs (waiting samples, inventory owners, every instance-hour the batch or a released sample touches),
 * runs `meterBatch`, and writes the new states, their usage.hourly values and the late samples to the outbox,
 * and the waiting samples back. With no samples it only releases and expires waiting samples.
 * The caller stores the partition's offsets in the same transaction.
 *
 * Instance-hours are shared across partitions (the same instance arrives on several), so they are row-locked
 * when loaded and written with a version check; a row another transaction created meanwhile fails the batch
 * with a transient `ConcurrentWriteError` (see usage-store.ts). Waiting samples and the partition row belong
 * to this partition alone; the inventory is only read.
 */
export async function meterPartition(
  db: Queryable,
  ref: PartitionRef,
  samples: readonly TrafficSample[],
  now: number,
  options: MeterPartitionOptions,
  /** How each of `samples` was classified when read (see MeterBatchInput.verdicts); absent: at `now`. */
  verdicts?: readonly SampleVerdict[],
): Promise<MeterPartitionResult> {
  await lockPartition(db, ref);
  const stored = await loadPending(db, ref);
  const held = stored.held;
  const inventory = new InventoryTable(options.limits, held);
  const instanceIds = new Set<string>();
  for (const sample of samples) instanceIds.add(sample.instanceId);
  for (const entry of held) instanceIds.add(entry.sample.instanceId);
  // A fresh table per batch: every known owner counts as newly arrived, which releases its waiting samples.
  for (const record of await loadInstances(db, [...instanceIds])) inventory.upsert(record);

  const keys = instanceHourKeys(samples);
  for (const key of instanceHourKeys(held.map((entry) => entry.sample))) keys.add(key);
  const states = await loadStates(db, keys);

  const result = meterBatch({
    states,
    samples,
    ...(verdicts === undefined ? {} : { verdicts }),
    inventory,
    now,
    config: options.validation,
  });
  await options.deadLetter(result.deadLetters);
  const written = await upsertStates(db, [...result.changed.values()], states);
  await enqueueOutboxBatch(
    db,
    options.usageTopic,
    written.map((state) => ({ key: usageKey(state.instanceId, state.hourStart), value: toUsageHourly(state) })),
  );
  await enqueueOutboxBatch(
    db,
    options.lateTopic,
    result.late.map(({ sample, reason }) => {
      const value: LateSample = { reason, detectedAt: now, sample };
      return { key: sample.instanceId, value };
    }),
  );
  const pending = inventory.pending.snapshot();
  await savePending(db, ref, stored, pending);
  return { ...result, written: written.length, pendingBefore: held.length, pending: pending.length };
}
