import { z } from 'zod';
import { count, hourStartMillis, id, nonNegativeDecimalString } from './primitives.ts';

export const HOUR_MS = 3_600_000;

/** Interfaces one instance may report in one hour; more is a glitching agent, and the value would outgrow a record. */
export const MAX_INTERFACES_PER_INSTANCE_HOUR = 64;

export const countedSlots = z.object({
  interfaceId: id,
  /** Indexes 0..119 of the 30 s slots of the hour already counted for this interface, ascending. */
  slots: z.array(z.number().int().min(0).max(119)).max(120, 'an hour has 120 slots of 30 s'),
});
export type CountedSlots = z.infer<typeof countedSlots>;

/** Usage of one instance in one hour (topic usage.hourly, compacted, keyed by usageKey). Full value, never a delta. */
export const usageHourly = z.object({
  instanceId: id,
  accountId: id,
  instanceType: id,
  hourStart: hourStartMillis,
  /** Distinct 30 s slots counted on any interface, times 30. */
  runningSeconds: count,
  rxBytes: count,
  txBytes: count,
  rxPackets: count,
  txPackets: count,
  cpuSeconds: nonNegativeDecimalString,
  counted: z
    .array(countedSlots)
    .max(MAX_INTERFACES_PER_INSTANCE_HOUR, `at most ${MAX_INTERFACES_PER_INSTANCE_HOUR} interfaces per instance-hour`),
  /** Increases with every change to this instance-hour; a consumer never lets a lower version overwrite a higher. */
  version: count,
});
export type UsageHourly = z.infer<typeof usageHourly>;

export function usageKey(instanceId: string, hourStart: number): string {
  return `${instanceId}|${new Date(hourStart).toISOString()}`;
}
