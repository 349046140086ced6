import type { TrafficSample } from '@tally/records';
import type { Period } from './fleet.ts';

export interface OutageOptions {
  /** Samples with a window start in [from, to) cannot reach the broker. */
  readonly outage: Period;
  /** Only these hypervisors are cut off; all when absent. */
  readonly hypervisorIds?: ReadonlySet<string>;
}

/**
 * A broker outage as the spool makes it look: samples produced during the outage are held and sent, in order,
 * just before the first sample after it (or at the end). Nothing is lost; it only arrives late and in a burst.
 *
 * @example
 * injectOutage(samples, { outage: { from: t1, to: t2 }, hypervisorIds: new Set(['hv-003']) });
 */
export function* injectOutage<T extends Pick<TrafficSample, 'windowStart' | 'hypervisorId'>>(
  records: Iterable<T>,
  options: OutageOptions,
): Generator<T, void, undefined> {
  const { outage, hypervisorIds } = options;
  let held: T[] = [];
  for (const record of records) {
    const affected = hypervisorIds === undefined || hypervisorIds.has(record.hypervisorId);
    if (affected && outage.from <= record.windowStart && record.windowStart < outage.to) {
      held.push(record);
      continue;
    }
    if (record.windowStart >= outage.to && held.length > 0) {
      yield* held;
      held = [];
    }
    yield record;
  }
  yield* held;
}
