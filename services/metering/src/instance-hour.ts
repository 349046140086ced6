import { SAMPLE_WINDOW_MS, usageHourly, type UsageHourly } from '@tally/records';
import { canonicalDecimal } from './decimal-sum.ts';
import { hourStartOf } from './hour-slots.ts';
import { countSlots, EMPTY_SLOT_SET, slotSetOf, slotsOf, unionSlots, type SlotSet } from './slot-set.ts';

/** Who an instance-hour is billed to, from the inventory join. */
export interface Owner {
  readonly accountId: string;
  readonly instanceType: string;
}

/**
 * Usage of one instance in one hour, as metering holds it between samples.
 * Immutable: every change produces a new object (copy-on-write), sharing unchanged slot sets.
 * `toUsageHourly` gives the persisted full value; `fromUsageHourly` restores it.
 */
export interface InstanceHour {
  readonly instanceId: string;
  readonly hourStart: number;
  readonly owner: Owner;
  /** Counted slots per interface id: a slot there has been added to the totals and never will be again. */
  readonly counted: ReadonlyMap<string, SlotSet>;
  /** Union of `counted` over interfaces, kept so runningSeconds costs nothing. */
  readonly running: SlotSet;
  readonly rxBytes: number;
  readonly txBytes: number;
  readonly rxPackets: number;
  readonly txPackets: number;
  /** Exact canonical decimal string. */
  readonly cpuSeconds: string;
  /** 0 for an empty state; +1 for every sample that changed it. */
  readonly version: number;
}

/** An instance-hour with nothing counted yet. */
export function emptyInstanceHour(instanceId: string, hourStart: number, owner: Owner): InstanceHour {
  if (hourStartOf(hourStart) !== hourStart) throw new RangeError(`not the start of an hour: ${hourStart}`);
  return {
    instanceId,
    hourStart,
    owner,
    counted: new Map(),
    running: EMPTY_SLOT_SET,
    rxBytes: 0,
    txBytes: 0,
    rxPackets: 0,
    txPackets: 0,
    cpuSeconds: '0',
    version: 0,
  };
}

/**
 * Distinct 30 s slots counted on any interface, times 30.
 *
 * @example
 * runningSeconds(state) === 3600; // every slot of the hour counted
 */
export function runningSeconds(state: InstanceHour): number {
  return (countSlots(state.running) * SAMPLE_WINDOW_MS) / 1000;
}

/**
 * The full value written to usage.hourly. Interfaces are sorted by id so equal states give identical bytes.
 *
 * @example
 * producer.send(usageKey(state.instanceId, state.hourStart), toUsageHourly(state));
 */
export function toUsageHourly(state: InstanceHour): UsageHourly {
  const interfaceIds = [...state.counted.keys()].sort();
  return {
    instanceId: state.instanceId,
    accountId: state.owner.accountId,
    instanceType: state.owner.instanceType,
    hourStart: state.hourStart,
    runningSeconds: runningSeconds(state),
    rxBytes: state.rxBytes,
    txBytes: state.txBytes,
    rxPackets: state.rxPackets,
    txPackets: state.txPackets,
    cpuSeconds: state.cpuSeconds,
    counted: interfaceIds.map((interfaceId) => ({
      interfaceId,
      slots: slotsOf(state.counted.get(interfaceId) ?? EMPTY_SLOT_SET),
    })),
    version: state.version,
  };
}

/**
 * Restores a state from a persisted UsageHourly (validated with zod first).
 * runningSeconds is recomputed from the slots, which are the source of truth.
 *
 * @example
 * const state = fromUsageHourly(JSON.parse(row.value));
 */
export function fromUsageHourly(record: UsageHourly): InstanceHour {
  const parsed = usageHourly.parse(record);
  const counted = new Map<string, SlotSet>();
  let running = EMPTY_SLOT_SET;
  for (const { interfaceId, slots } of parsed.counted) {
    const set = unionSlots(counted.get(interfaceId) ?? EMPTY_SLOT_SET, slotSetOf(slots));
    counted.set(interfaceId, set);
    running = unionSlots(running, set);
  }
  return {
    ...emptyInstanceHour(parsed.instanceId, parsed.hourStart, {
      accountId: parsed.accountId,
      instanceType: parsed.instanceType,
    }),
    counted,
    running,
    rxBytes: parsed.rxBytes,
    txBytes: parsed.txBytes,
    rxPackets: parsed.rxPackets,
    txPackets: parsed.txPackets,
    cpuSeconds: canonicalDecimal(parsed.cpuSeconds),
    version: parsed.version,
  };
}
