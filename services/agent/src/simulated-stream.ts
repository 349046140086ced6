import type { TrafficSample } from '@tally/records';
import type { Fleet, Period } from './fleet.ts';
import { generateSamples } from './generate-samples.ts';
import { injectDuplicates } from './inject-duplicates.ts';
import { injectLateArrivals } from './inject-late-arrivals.ts';
import { injectOutage } from './inject-outage.ts';
import { injectReordering } from './inject-reordering.ts';

export interface StreamFaults {
  readonly duplicates?: { readonly fraction: number; readonly maxDelay: number };
  readonly reorderWindow?: number;
  readonly late?: { readonly fraction: number; readonly delayMs: number };
  readonly outage?: Period;
}

/**
 * What the fleet's agents send over `period`, faults included: an event-time outage (held, then sent in a
 * burst), late arrivals, duplicates and bounded reordering, in that order. Lazy and deterministic, so calling it
 * twice gives the same stream (once for the ground truth, once to send).
 *
 * @example
 * simulatedStream(fleet, fleet.period, { duplicates: { fraction: 0.05, maxDelay: 1000 }, reorderWindow: 50 });
 */
export function simulatedStream(fleet: Fleet, period: Period, faults: StreamFaults): Iterable<TrafficSample> {
  let stream: Iterable<TrafficSample> = generateSamples(fleet, period);
  if (faults.outage !== undefined) stream = injectOutage(stream, { outage: faults.outage });
  if (faults.late !== undefined && faults.late.fraction > 0) {
    stream = injectLateArrivals(stream, { seed: fleet.seed, ...faults.late });
  }
  if (faults.duplicates !== undefined && faults.duplicates.fraction > 0) {
    stream = injectDuplicates(stream, { seed: fleet.seed, ...faults.duplicates });
  }
  if (faults.reorderWindow !== undefined && faults.reorderWindow > 1) {
    stream = injectReordering(stream, { seed: fleet.seed, window: faults.reorderWindow });
  }
  return stream;
}
