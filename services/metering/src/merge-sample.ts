import { MAX_INTERFACES_PER_INSTANCE_HOUR, type TrafficSample } from '@tally/records';
import { addDecimals } from './decimal-sum.ts';
import { hourStartOf, isAlignedWindow, slotOf } from './hour-slots.ts';
import { emptyInstanceHour, type InstanceHour, type Owner } from './instance-hour.ts';
import { EMPTY_SLOT_SET, hasSlot, unionSlots, withSlot } from './slot-set.ts';

export interface MergeResult {
  readonly state: InstanceHour;
  /** False when the sample's (interface, slot) was already counted: nothing added, version unchanged. */
  readonly changed: boolean;
}

/**
 * The sample would take its instance-hour past a bound (a sum beyond what JavaScript numbers hold exactly, more
 * interfaces than usage.hourly's schema allows); it must go to the dead letters, not be counted.
 */
export class CounterOverflowError extends RangeError {
  override readonly name = 'CounterOverflowError';
}

function add(field: string, a: number, b: number): number {
  const sum = a + b;
  if (!Number.isSafeInteger(sum)) throw new CounterOverflowError(`${field} sum exceeds 2^53-1`);
  return sum;
}

/**
 * Adds one validated sample to its instance-hour, idempotently (invariant 1).
 * A sample whose (interface, slot) is already counted adds nothing; it is assumed to be a resend carrying
 * identical counters, so the first one counted wins. The input state is never mutated.
 * On a change the owner is refreshed to `owner` (the inventory's latest view); a duplicate never touches it.
 *
 * @example
 * const first = mergeSample(undefined, sample, { accountId: 'acc-1', instanceType: 's1.small' });
 * const again = mergeSample(first.state, sample, owner); // again.changed === false, same version
 */
export function mergeSample(state: InstanceHour | undefined, sample: TrafficSample, owner: Owner): MergeResult {
  if (!isAlignedWindow(sample.windowStart)) throw new RangeError(`unaligned window start ${sample.windowStart}`);
  const hourStart = hourStartOf(sample.windowStart);
  if (state !== undefined && (state.instanceId !== sample.instanceId || state.hourStart !== hourStart)) {
    throw new RangeError(
      `sample ${sample.instanceId}@${sample.windowStart} does not belong to ${state.instanceId}@${state.hourStart}`,
    );
  }
  const current = state ?? emptyInstanceHour(sample.instanceId, hourStart, owner);
  const slot = slotOf(sample.windowStart);
  const slots = current.counted.get(sample.interfaceId) ?? EMPTY_SLOT_SET;
  if (hasSlot(slots, slot)) return { state: current, changed: false };
  if (!current.counted.has(sample.interfaceId) && current.counted.size >= MAX_INTERFACES_PER_INSTANCE_HOUR) {
    throw new CounterOverflowError(
      `interface ${JSON.stringify(sample.interfaceId)} refused: the instance-hour already counts ${MAX_INTERFACES_PER_INSTANCE_HOUR} interfaces`,
    );
  }

  const nextSlots = withSlot(slots, slot);
  const counted = new Map(current.counted);
  counted.set(sample.interfaceId, nextSlots);
  return {
    changed: true,
    state: {
      instanceId: current.instanceId,
      hourStart,
      owner,
      counted,
      running: unionSlots(current.running, nextSlots),
      rxBytes: add('rxBytes', current.rxBytes, sample.rxBytes),
      txBytes: add('txBytes', current.txBytes, sample.txBytes),
      rxPackets: add('rxPackets', current.rxPackets, sample.rxPackets),
      txPackets: add('txPackets', current.txPackets, sample.txPackets),
      // Secondary interfaces report "0"; a state's sum is already canonical, so adding it changes nothing.
      cpuSeconds: sample.cpuSeconds === '0' ? current.cpuSeconds : addDecimals(current.cpuSeconds, sample.cpuSeconds),
      version: current.version + 1,
    },
  };
}
