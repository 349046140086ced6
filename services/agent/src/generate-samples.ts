import { SAMPLE_WINDOW_MS, type TrafficSample } from '@tally/records';
import { isRunning, type Fleet, type Period } from './fleet.ts';
import { windowSample } from './traffic-model.ts';

/**
 * Every sample the fleet's agents would send for the windows starting in [from, to), lazily, in event-time
 * order (window, then instance, then interface). Each identity appears exactly once; a day of 200 instances
 * is about a million samples and never sits in memory at once.
 *
 * @example
 * for (const sample of generateSamples(fleet, { from, to: from + 3_600_000 })) producer.send(sample);
 */
export function* generateSamples(fleet: Fleet, period: Period): Generator<TrafficSample, void, undefined> {
  const first = Math.ceil(period.from / SAMPLE_WINDOW_MS) * SAMPLE_WINDOW_MS;
  for (let windowStart = first; windowStart < period.to; windowStart += SAMPLE_WINDOW_MS) {
    for (const instance of fleet.instances) {
      if (!isRunning(instance, windowStart)) continue;
      for (let i = 0; i < instance.interfaces.length; i += 1) yield windowSample(fleet.seed, instance, i, windowStart);
    }
  }
}
