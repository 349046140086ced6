import { usageKey, type TrafficSample } from '@tally/records';
import { hourStartOf } from './hour-slots.ts';
import type { InstanceHour } from './instance-hour.ts';
import type { InventoryTable } from './inventory-table.ts';
import { CounterOverflowError, mergeSample } from './merge-sample.ts';
import { classifySample, type SampleVerdict, type ValidationConfig } from './validate-sample.ts';

/** A sample that leaves the counting path, and why. */
export interface RejectedSample {
  readonly sample: TrafficSample;
  readonly reason: string;
}

export interface MeterBatchInput {
  /**
   * Current instance-hours by `usageKey`. Must hold every key the batch touches that exists anywhere
   * (see `instanceHourKeys`): a missing one restarts from version 0 and would overwrite the stored value.
   */
  readonly states: ReadonlyMap<string, InstanceHour>;
  readonly samples: readonly TrafficSample[];
  /**
   * `verdicts[i]` is how `samples[i]` was classified when it was read (the consumer's pipeline). Given, the batch
   * keeps it: whether a sample is counted or late is then decided once, at read time, whatever the delay to the
   * commit and however fetches were coalesced into it. Absent (or shorter), a sample is classified at `now`.
   */
  readonly verdicts?: readonly SampleVerdict[];
  /** Read for owners; its pending buffer is advanced (samples held, released, expired). */
  readonly inventory: InventoryTable;
  readonly now: number;
  readonly config: ValidationConfig;
}

export interface MeterBatchResult {
  /** New full states of the instance-hours this batch changed, by usageKey, in order of first change. */
  readonly changed: ReadonlyMap<string, InstanceHour>;
  /** For the traffic.samples dead-letter topic. */
  readonly deadLetters: readonly RejectedSample[];
  /** For the late-data topic: closed hours and instances the inventory never learnt of. */
  readonly late: readonly RejectedSample[];
}

export const UNKNOWN_INSTANCE_BUFFER_FULL = 'unknown instance: pending buffer full';
export const UNKNOWN_INSTANCE_WAITED_TOO_LONG = 'unknown instance: waited too long for inventory';

/**
 * The usageKeys a batch may touch, so a runtime can load those states before calling `meterBatch`.
 * Includes pending samples that a newly known instance will release.
 *
 * @example
 * for (const key of instanceHourKeys(batch)) if (!states.has(key)) await load(key);
 */
export function instanceHourKeys(samples: Iterable<TrafficSample>): Set<string> {
  const keys = new Set<string>();
  for (const sample of samples) keys.add(usageKey(sample.instanceId, hourStartOf(sample.windowStart)));
  return keys;
}

/**
 * Meters one batch: validates each sample (or takes its verdict from reading), joins it with the inventory and
 * merges it idempotently.
 * Order: first the pending samples whose instance has appeared since the last call, then the batch in order,
 * then pending samples that waited too long go to late data. Deterministic for equal inputs; `states` is not
 * modified (the caller applies `changed` after persisting it), the inventory's pending buffer is.
 *
 * @example
 * const { changed, deadLetters, late } = meterBatch({ states, samples, inventory, now: clock(), config });
 * for (const [key, state] of changed) states.set(key, state);
 */
export function meterBatch(input: MeterBatchInput): MeterBatchResult {
  const { states, inventory, now, config } = input;
  const changed = new Map<string, InstanceHour>();
  const deadLetters: RejectedSample[] = [];
  const late: RejectedSample[] = [];

  const meter = (sample: TrafficSample, readVerdict?: SampleVerdict): void => {
    const verdict = readVerdict ?? classifySample(sample, now, config);
    if (verdict.kind === 'invalid') {
      deadLetters.push({ sample, reason: verdict.reason });
      return;
    }
    if (verdict.kind === 'late') {
      late.push({ sample, reason: verdict.reason });
      return;
    }
    const owner = inventory.owner(sample.instanceId);
    if (owner === undefined) {
      for (const evicted of inventory.pending.hold(sample, now)) {
        late.push({ sample: evicted, reason: UNKNOWN_INSTANCE_BUFFER_FULL });
      }
      return;
    }
    const key = usageKey(sample.instanceId, hourStartOf(sample.windowStart));
    try {
      const result = mergeSample(changed.get(key) ?? states.get(key), sample, owner);
      if (result.changed) changed.set(key, result.state);
    } catch (error) {
      if (!(error instanceof CounterOverflowError)) throw error;
      deadLetters.push({ sample, reason: error.message });
    }
  };

  for (const sample of inventory.takeReleased()) meter(sample);
  const { samples, verdicts } = input;
  for (let i = 0; i < samples.length; i += 1) meter(samples[i]!, verdicts?.[i]);
  for (const sample of inventory.pending.expire(now)) {
    late.push({ sample, reason: UNKNOWN_INSTANCE_WAITED_TOO_LONG });
  }
  return { changed, deadLetters, late };
}
