/**
 * Event time for state machines (ARCHITECTURE.md, invariant 8). Hours are whole epoch hours (`hourOf`), so they
 * compare as numbers and a month is 720-odd steps. Nothing here reads a clock: the watermark comes from the hours
 * the streams have shown, so a replay of the same records reaches the same watermarks at the same points of the data.
 */
export type Hour = number;

const HOUR_MS = 3_600_000;

/** The epoch hour holding `at` (epoch millis). */
export const hourOf = (at: number): Hour => Math.floor(at / HOUR_MS);

/** The epoch millis at which `hour` starts. */
export const hourStartOf = (hour: Hour): number => hour * HOUR_MS;

/** What a consumer knows of one input stream (one partition of one topic, or a whole topic). */
export interface StreamProgress {
  /** The latest event hour read from the stream; undefined while nothing was read. */
  readonly latestHour: Hour | undefined;
  /**
   * The consumer has read everything the stream held when asked (stored offset at the end). A caught-up stream
   * cannot hold back the watermark: whatever it sends next is new. A stream still behind (a replay, a lagging
   * partition) holds it at its latest hour, since its earlier hours may still come.
   */
  readonly caughtUp: boolean;
  /**
   * The stream's hours say how far the pipeline has completed (usage.hourly, billing.hourly): the watermark never
   * passes the latest clock hour less the lateness. Other streams (payments, accounts) only ever hold it back.
   */
  readonly clock: boolean;
}

/**
 * The watermark: every hour below it is closed, so its buffered events are final and timers due before it fire.
 * It is the latest clock hour less `latenessHours` (the hour in progress and the late data a pipeline still brings
 * in), held back to the latest hour of any stream not yet caught up. Undefined when no clock has spoken, or a stream
 * behind has shown nothing yet: decide nothing.
 *
 * The rule assumes each stream arrives roughly in event-time order, within `latenessHours` of each other; an event
 * for an hour already closed is late, and is applied in the first open hour (see `timeline.ts`).
 *
 * @example
 * const usage = { latestHour: 100, caughtUp: true, clock: true };
 * watermark([usage], 2);                                                    // 98: hours < 98 closed
 * watermark([usage, { latestHour: 90, caughtUp: false, clock: false }], 2); // 90: payments still replaying
 * watermark([usage, { latestHour: 40, caughtUp: true, clock: false }], 2);  // 98: quiet payments hold nothing
 * watermark([{ latestHour: undefined, caughtUp: true, clock: true }], 2);   // undefined
 */
export function watermark(streams: readonly StreamProgress[], latenessHours: number): Hour | undefined {
  let clock: Hour | undefined;
  for (const stream of streams) {
    if (stream.clock && stream.latestHour !== undefined)
      clock = Math.max(clock ?? stream.latestHour, stream.latestHour);
  }
  if (clock === undefined) return undefined;
  let mark = clock - latenessHours;
  for (const stream of streams) {
    if (stream.caughtUp) continue;
    if (stream.latestHour === undefined) return undefined;
    mark = Math.min(mark, stream.latestHour);
  }
  return mark;
}

/**
 * The watermark never moves back: a consumer that restarts, or a stream that is caught up one moment and behind the
 * next (a partition reassigned), must not reopen hours already decided.
 *
 * @example
 * advanceWatermark(98, 90); // 98
 * advanceWatermark(undefined, 90); // 90
 */
export function advanceWatermark(previous: Hour | undefined, next: Hour | undefined): Hour | undefined {
  if (previous === undefined) return next;
  if (next === undefined) return previous;
  return Math.max(previous, next);
}
