import { SAMPLE_WINDOW_MS, type TrafficSample } from '@tally/records';
import { counterDelta, type CounterWidth, type DeltaKind } from './counter-delta.ts';
import type { DeviceMapping } from './device-mapping.ts';
import type { CounterReading, InterfaceCounters } from './sysfs-reader.ts';

export interface WindowOptions {
  readonly width: CounterWidth;
  /** Bounds what a wrap can explain; beyond it a drop is a reset. Default: a 100 Gbit/s link. */
  readonly maxBytesPerSecond: bigint;
  readonly maxPacketsPerSecond: bigint;
  /** CPU micro-seconds per second a VM can use at most (vCPUs × 1e6). Default: 256 vCPUs. */
  readonly maxCpuMicrosPerSecond: bigint;
  /**
   * Window length. Metering counts 30 s slots, so anything but SAMPLE_WINDOW_MS is for tests that cannot wait
   * 30 s per window; it must divide 30 s and be whole seconds.
   */
  readonly windowMs?: number;
}

export const DEFAULT_WINDOW_OPTIONS: WindowOptions = {
  width: 64,
  maxBytesPerSecond: 12_500_000_000n,
  maxPacketsPerSecond: 12_500_000_000n / 64n,
  maxCpuMicrosPerSecond: 256n * 1_000_000n,
};

/** A counter that did not simply increase; worth a log line and a metric, the samples are still produced. */
export interface CounterAnomaly {
  readonly instanceId: string;
  readonly device: string | undefined;
  readonly counter: string;
  /** `created`: the device or cgroup appeared (or was created again) since the last reading: counted from zero. */
  readonly kind: Exclude<DeltaKind, 'increase'> | 'created' | 'too large';
}

export interface WindowResult {
  readonly samples: TrafficSample[];
  readonly anomalies: CounterAnomaly[];
}

function align(t: number, windowMs: number): number {
  return t - (t % windowMs);
}

/** Splits a total over n windows exactly: equal shares, the remainder on the last window. */
function splitEvenly(total: bigint, n: number): bigint[] {
  const count = BigInt(n);
  const share = total / count;
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? total - share * (count - 1n) : share));
}

function formatMicros(micros: bigint): string {
  const text = micros.toString().padStart(7, '0');
  const fraction = text.slice(-6).replace(/0+$/, '');
  return fraction === '' ? text.slice(0, -6) : `${text.slice(0, -6)}.${fraction}`;
}

/**
 * A counter that did not exist at the last reading, or belongs to a different device or cgroup now (its identity
 * changed: deleted and created again). Everything it counted happened since the last reading, so it counts from 0.
 */
function isNew<T>(before: T | undefined, identityBefore: unknown, identityNow: unknown): boolean {
  return before === undefined || identityBefore !== identityNow;
}

const COUNTERS = [
  'rxBytes',
  'txBytes',
  'rxPackets',
  'txPackets',
] as const satisfies readonly (keyof InterfaceCounters)[];

/**
 * Samples for the aligned 30 s windows between two readings taken at (or just after) window boundaries.
 * Usually one window; after a missed reading the deltas are spread evenly over the windows they cover, which
 * keeps totals exact (only their split over time is estimated). A device gone at `current` yields nothing (what it
 * counted since `previous` is unknowable); a device or cgroup that appeared since `previous`, or was created again
 * (new ifindex, new cgroup inode: a VM restarted or migrated here), counts from zero, so a VM that starts or arrives
 * mid-window is billed for that window. CPU goes on the instance's primary interface, "0" on the others.
 *
 * @example
 * const { samples } = samplesBetween(previous, current, mapping); // readings at 10:00:00 and 10:00:30
 */
export function samplesBetween(
  previous: CounterReading,
  current: CounterReading,
  mapping: DeviceMapping,
  options: WindowOptions = DEFAULT_WINDOW_OPTIONS,
): WindowResult {
  const windowMs = options.windowMs ?? SAMPLE_WINDOW_MS;
  const first = align(previous.at, windowMs);
  const windows = (align(current.at, windowMs) - first) / windowMs;
  const samples: TrafficSample[] = [];
  const anomalies: CounterAnomaly[] = [];
  if (windows < 1) return { samples, anomalies };
  const millis = BigInt(windows * windowMs);
  const plausible = (perSecond: bigint): bigint => (perSecond * millis) / 1000n;

  const cpuShares = new Map<string, bigint[]>();
  for (const [instanceId, now] of current.cpuMicros) {
    const before = previous.cpuMicros.get(instanceId);
    if (isNew(before, previous.cgroupIds?.get(instanceId), current.cgroupIds?.get(instanceId))) {
      if (before !== undefined) anomalies.push({ instanceId, device: undefined, counter: 'cpu', kind: 'created' });
      cpuShares.set(instanceId, splitEvenly(now, windows));
      continue;
    }
    const { delta, kind } = counterDelta(before ?? 0n, now, {
      width: 64,
      maxPlausible: plausible(options.maxCpuMicrosPerSecond),
    });
    if (kind !== 'increase') anomalies.push({ instanceId, device: undefined, counter: 'cpu', kind });
    cpuShares.set(instanceId, splitEvenly(delta, windows));
  }

  for (const entry of mapping.devices) {
    const before = previous.devices.get(entry.device);
    const now = current.devices.get(entry.device);
    if (now === undefined) continue;
    const created = isNew(before, before?.ifindex, now.ifindex);
    if (created && before !== undefined) {
      anomalies.push({ instanceId: entry.instanceId, device: entry.device, counter: 'device', kind: 'created' });
    }
    const shares = new Map<(typeof COUNTERS)[number], bigint[]>();
    for (const counter of COUNTERS) {
      const perSecond = counter.endsWith('Bytes') ? options.maxBytesPerSecond : options.maxPacketsPerSecond;
      const { delta, kind } =
        created || before === undefined
          ? { delta: now[counter], kind: 'increase' as const }
          : counterDelta(before[counter], now[counter], { width: options.width, maxPlausible: plausible(perSecond) });
      if (kind !== 'increase') anomalies.push({ instanceId: entry.instanceId, device: entry.device, counter, kind });
      shares.set(counter, splitEvenly(delta, windows));
    }
    const value = (counter: (typeof COUNTERS)[number], i: number): number => Number(shares.get(counter)?.[i] ?? 0n);
    for (let i = 0; i < windows; i += 1) {
      const sample: TrafficSample = {
        hypervisorId: mapping.hypervisorId,
        instanceId: entry.instanceId,
        interfaceId: entry.interfaceId,
        windowStart: first + i * windowMs,
        rxBytes: value('rxBytes', i),
        txBytes: value('txBytes', i),
        rxPackets: value('rxPackets', i),
        txPackets: value('txPackets', i),
        cpuSeconds: entry.primary ? formatMicros(cpuShares.get(entry.instanceId)?.[i] ?? 0n) : '0',
      };
      // A reset that surfaces a huge counter must not produce an inexact number; metering would reject it anyway.
      if (COUNTERS.some((counter) => !Number.isSafeInteger(sample[counter]))) {
        anomalies.push({ instanceId: entry.instanceId, device: entry.device, counter: 'any', kind: 'too large' });
        continue;
      }
      samples.push(sample);
    }
  }
  return { samples, anomalies };
}

export interface TrackerStep extends WindowResult {
  /** The reading to pass as `last` next time. */
  readonly last: CounterReading;
}

/**
 * The agent's loop step as a pure function: the first reading is a baseline; a reading in the same window as
 * the last one is ignored (it keeps the older baseline so no traffic falls between windows).
 *
 * @example
 * let last: CounterReading | undefined;
 * const step = advanceCounters(last, await readCounters(mapping, paths, clock()), mapping);
 * last = step.last; spool.append(step.samples);
 */
export function advanceCounters(
  last: CounterReading | undefined,
  reading: CounterReading,
  mapping: DeviceMapping,
  options: WindowOptions = DEFAULT_WINDOW_OPTIONS,
): TrackerStep {
  if (last === undefined) return { last: reading, samples: [], anomalies: [] };
  const windowMs = options.windowMs ?? SAMPLE_WINDOW_MS;
  if (align(reading.at, windowMs) <= align(last.at, windowMs)) return { last, samples: [], anomalies: [] };
  return { last: reading, ...samplesBetween(last, reading, mapping, options) };
}
