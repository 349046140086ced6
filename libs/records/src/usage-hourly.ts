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

// usageKey runs several times per sample; a batch spans a few hours, so their ISO forms are formatted once each.
const hourIsoCache = new Map<number, string>();
const HOUR_ISO_CACHE_SIZE = 1_024;

/**
 * The usage.hourly key of an instance-hour: instance id, `|`, the hour's start in ISO 8601 (UTC).
 *
 * @example
 * usageKey('i-1', Date.UTC(2025, 0, 1, 10)); // 'i-1|2025-01-01T10:00:00.000Z'
 */
export function usageKey(instanceId: string, hourStart: number): string {
  let iso = hourIsoCache.get(hourStart);
  if (iso === undefined) {
    // Throws (RangeError) for a time outside Date's range, as before; nothing is cached then.
    iso = new Date(hourStart).toISOString();
    if (hourIsoCache.size >= HOUR_ISO_CACHE_SIZE) hourIsoCache.clear();
    hourIsoCache.set(hourStart, iso);
  }
  return `${instanceId}|${iso}`;
}
