import { advanceCounters, type CounterAnomaly, type WindowOptions } from '../counter-windows.ts';
import type { DeviceMapping } from '../device-mapping.ts';
import type { CounterReading } from '../sysfs-reader.ts';
import type { TrafficSample } from '@tally/records';

/** What the host agent carries from one window to the next. */
export interface HostWindowState {
  readonly last: CounterReading | undefined;
  /** Instances measured at the last reading. */
  readonly instances: ReadonlySet<string>;
}

export interface HostWindowStep {
  readonly state: HostWindowState;
  readonly samples: TrafficSample[];
  readonly anomalies: CounterAnomaly[];
  readonly appeared: string[];
  readonly vanished: string[];
}

/**
 * A device or cgroup that could not be read keeps its last reading: it is neither gone nor new, so its traffic is
 * counted in full by the next reading that succeeds (never twice, never from zero again).
 */
function carryForward(last: CounterReading | undefined, reading: CounterReading): CounterReading {
  const unreadable = reading.unreadable;
  if (last === undefined || unreadable === undefined) return reading;
  if (unreadable.devices.size === 0 && unreadable.cgroups.size === 0) return reading;
  const devices = new Map(reading.devices);
  const cpuMicros = new Map(reading.cpuMicros);
  const cgroupIds = new Map(reading.cgroupIds);
  for (const device of unreadable.devices) {
    const kept = last.devices.get(device);
    if (kept !== undefined) devices.set(device, kept);
  }
  for (const instanceId of unreadable.cgroups) {
    const kept = last.cpuMicros.get(instanceId);
    const id = last.cgroupIds?.get(instanceId);
    if (kept !== undefined) cpuMicros.set(instanceId, kept);
    if (id !== undefined) cgroupIds.set(instanceId, id);
  }
  return { ...reading, devices, cpuMicros, cgroupIds };
}

export const INITIAL_HOST_WINDOW: HostWindowState = { last: undefined, instances: new Set() };

/**
 * One window of the host agent as a pure function: the samples between the last reading and this one (see
 * advanceCounters: baseline first, counters that appeared count from zero, gone ones yield nothing, unreadable
 * ones wait for the next reading), and which
 * instances appeared or vanished since the last reading. The first reading finds the host's VMs: nothing appears.
 *
 * @example
 * let state = INITIAL_HOST_WINDOW;
 * const step = hostWindowStep(state, reading, mapping, options); state = step.state; await spool.append(step.samples);
 */
export function hostWindowStep(
  state: HostWindowState,
  reading: CounterReading,
  mapping: DeviceMapping,
  options: WindowOptions,
): HostWindowStep {
  const step = advanceCounters(state.last, carryForward(state.last, reading), mapping, options);
  const instances = new Set(mapping.devices.map((entry) => entry.instanceId));
  for (const instanceId of mapping.cgroups.keys()) instances.add(instanceId);
  const first = state.last === undefined;
  return {
    state: { last: step.last, instances },
    samples: step.samples,
    anomalies: step.anomalies,
    appeared: first ? [] : [...instances].filter((id) => !state.instances.has(id)).sort(),
    vanished: [...state.instances].filter((id) => !instances.has(id)).sort(),
  };
}

/**
 * When to take the next reading: `delayMs` after the next window boundary (wall-clock aligned), so a reading
 * always falls inside the window it opens.
 *
 * @example
 * nextReadingAt(Date.UTC(2025, 0, 1, 10, 0, 29), 30_000, 200); // 10:00:30.200
 */
export function nextReadingAt(now: number, windowMs: number, delayMs: number): number {
  const next = now - (now % windowMs) + delayMs;
  return next > now ? next : next + windowMs;
}
