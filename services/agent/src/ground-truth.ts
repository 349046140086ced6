import { HOUR_MS, SAMPLE_WINDOW_MS, usageKey, type TrafficSample } from '@tally/records';

/** What metering must arrive at for one instance-hour: the totals of UsageHourly, computed independently. */
export interface HourTotals {
  readonly instanceId: string;
  readonly hourStart: number;
  readonly runningSeconds: number;
  readonly rxBytes: number;
  readonly txBytes: number;
  readonly rxPackets: number;
  readonly txPackets: number;
  readonly cpuSeconds: string;
}

export interface GroundTruth {
  /** By usageKey(instanceId, hourStart). */
  readonly hours: ReadonlyMap<string, HourTotals>;
  readonly distinctSamples: number;
  /** Samples seen again with an identity already counted (first one wins). */
  readonly duplicates: number;
}

/** CPU seconds are summed as integer nanoseconds: exact for up to 9 decimals, which the simulator never exceeds. */
const CPU_SCALE = 9;

function toNanos(value: string): bigint {
  const match = /^(\d+)(?:\.(\d{1,9}))?$/.exec(value);
  if (match === null) throw new RangeError(`cpuSeconds with more than ${CPU_SCALE} decimals or malformed: ${value}`);
  return BigInt(match[1] ?? '0') * 1_000_000_000n + BigInt((match[2] ?? '').padEnd(CPU_SCALE, '0'));
}

function fromNanos(nanos: bigint): string {
  const text = nanos.toString().padStart(CPU_SCALE + 1, '0');
  const fraction = text.slice(-CPU_SCALE).replace(/0+$/, '');
  const whole = text.slice(0, -CPU_SCALE);
  return fraction === '' ? whole : `${whole}.${fraction}`;
}

interface Accumulator {
  instanceId: string;
  hourStart: number;
  /** Slots seen per interface: the identity (instance, interface, window) scoped to this hour. */
  counted: Map<string, Set<number>>;
  slots: Set<number>;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
  cpuNanos: bigint;
}

/**
 * Per instance-hour totals over the distinct samples of a stream (plain sets and sums; it shares no code with
 * metering on purpose). Pass the simulator's output before or after fault injection: the answer is the same.
 *
 * @example
 * const truth = groundTruth(generateSamples(fleet, fleet.period));
 * truth.hours.get(usageKey('i-000000', hour))?.cpuSeconds;
 */
export function groundTruth(samples: Iterable<TrafficSample>): GroundTruth {
  const hours = new Map<string, Accumulator>();
  let distinct = 0;
  let duplicates = 0;
  for (const sample of samples) {
    const hourStart = Math.floor(sample.windowStart / HOUR_MS) * HOUR_MS;
    const key = usageKey(sample.instanceId, hourStart);
    let hour = hours.get(key);
    if (hour === undefined) {
      hour = {
        instanceId: sample.instanceId,
        hourStart,
        counted: new Map(),
        slots: new Set(),
        rxBytes: 0,
        txBytes: 0,
        rxPackets: 0,
        txPackets: 0,
        cpuNanos: 0n,
      };
      hours.set(key, hour);
    }
    // The simulator only makes aligned windows, so the slot stands for the window start.
    const slot = Math.floor((sample.windowStart - hourStart) / SAMPLE_WINDOW_MS);
    let seen = hour.counted.get(sample.interfaceId);
    if (seen === undefined) {
      seen = new Set();
      hour.counted.set(sample.interfaceId, seen);
    }
    if (seen.has(slot)) {
      duplicates += 1;
      continue;
    }
    seen.add(slot);
    distinct += 1;
    hour.slots.add(slot);
    hour.rxBytes += sample.rxBytes;
    hour.txBytes += sample.txBytes;
    hour.rxPackets += sample.rxPackets;
    hour.txPackets += sample.txPackets;
    hour.cpuNanos += toNanos(sample.cpuSeconds);
  }
  const totals = new Map<string, HourTotals>();
  for (const [key, hour] of hours) {
    totals.set(key, {
      instanceId: hour.instanceId,
      hourStart: hour.hourStart,
      runningSeconds: hour.slots.size * (SAMPLE_WINDOW_MS / 1000),
      rxBytes: hour.rxBytes,
      txBytes: hour.txBytes,
      rxPackets: hour.rxPackets,
      txPackets: hour.txPackets,
      cpuSeconds: fromNanos(hour.cpuNanos),
    });
  }
  return { hours: totals, distinctSamples: distinct, duplicates };
}
