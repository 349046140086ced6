import type { TrafficSample } from '@tally/records';
import type { Logger } from '@tally/log';
import type { WindowOptions } from '../counter-windows.ts';
import type { DeviceMapping } from '../device-mapping.ts';
import { SpoolFullError } from '../spool.ts';
import type { CounterReading } from '../sysfs-reader.ts';
import type { HostMetrics } from './host-metrics.ts';
import type { MappingProblem } from './host-mapping.ts';
import { hostWindowStep, INITIAL_HOST_WINDOW, nextReadingAt } from './host-window.ts';
import type { Wakeup } from './wakeup.ts';

export interface WindowLoopDeps {
  readonly clock: () => number;
  /** Sleeps until `ms` have passed or `signal` aborts. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The host's current mapping (domain discovery) and what could not be mapped. */
  readonly discover: () => Promise<{ mapping: DeviceMapping; problems: readonly MappingProblem[] }>;
  readonly read: (mapping: DeviceMapping, at: number) => Promise<CounterReading>;
  /** Durable append (the spool): resolves once the samples are on disk. */
  readonly append: (samples: readonly TrafficSample[]) => Promise<void>;
  /** Tells the sender there is something to send. */
  readonly pump: Wakeup;
  readonly metrics: HostMetrics;
  readonly log: Logger;
  readonly windowOptions: WindowOptions & { readonly windowMs: number };
  readonly readDelayMs: number;
  /** Called after each window, for /healthz. */
  readonly onWindow?: (at: number) => void;
}

/**
 * The host agent's clock: a baseline reading at start, then one reading just after each wall-clock window
 * boundary. Each window's samples are spooled (fsync'd) before anything is sent, so a crash at any point loses no
 * sample already computed; the sender drains the spool on its own, so a slow or absent broker never delays a
 * window. Discovery runs every window: VMs that start, stop or migrate are picked up or dropped at the next
 * boundary. A full spool keeps the window's samples in memory and tries again next window (and says so).
 *
 * @example
 * await runWindowLoop(deps, controller.signal); // until SIGTERM aborts the signal
 */
export async function runWindowLoop(deps: WindowLoopDeps, signal: AbortSignal): Promise<void> {
  const { metrics, log, windowOptions } = deps;
  let state = INITIAL_HOST_WINDOW;
  let held: TrafficSample[] = [];
  while (!signal.aborted) {
    const { mapping, problems } = await deps.discover();
    metrics.mappingProblems.set(problems.length);
    if (problems.length > 0) log.warn({ problems }, 'domains not measured this window');
    const at = deps.clock();
    const reading = await deps.read(mapping, at);
    const step = hostWindowStep(state, reading, mapping, windowOptions);
    const baseline = state.last === undefined;
    state = step.state;
    metrics.domains.set(step.state.instances.size);
    if (step.appeared.length > 0) log.info({ instances: step.appeared }, 'instances appeared');
    if (step.vanished.length > 0) log.info({ instances: step.vanished }, 'instances vanished');
    metrics.appeared.inc(step.appeared.length);
    metrics.vanished.inc(step.vanished.length);
    for (const anomaly of step.anomalies) metrics.anomalies.inc({ kind: anomaly.kind });
    if (step.anomalies.length > 0) log.warn({ anomalies: step.anomalies }, 'counter anomalies');
    if (baseline) log.info({ devices: mapping.devices.length, cgroups: mapping.cgroups.size, at }, 'baseline reading');
    else metrics.windows.inc();
    held = held.concat(step.samples);
    if (held.length > 0) {
      try {
        await deps.append(held);
        metrics.samples.inc(held.length);
        log.debug({ samples: held.length, at }, 'window spooled');
        held = [];
        deps.pump.wake();
      } catch (error) {
        if (!(error instanceof SpoolFullError)) throw error;
        log.error({ err: error, held: held.length }, 'spool full; holding the samples in memory until it drains');
      }
    }
    metrics.lastWindow.set(at / 1000);
    deps.onWindow?.(at);
    await deps.sleep(nextReadingAt(deps.clock(), windowOptions.windowMs, deps.readDelayMs) - deps.clock(), signal);
  }
}
