import { HOUR_MS, SAMPLE_WINDOW_MS } from '@tally/records';

/** An hour holds 120 slots of 30 s; slot n covers [hourStart + n·30 s, hourStart + (n+1)·30 s). */
export const SLOTS_PER_HOUR = HOUR_MS / SAMPLE_WINDOW_MS;

/**
 * Start of the UTC hour that contains `t` (epoch ms).
 *
 * @example
 * hourStartOf(Date.UTC(2025, 0, 1, 10, 59, 30)) === Date.UTC(2025, 0, 1, 10);
 */
export function hourStartOf(t: number): number {
  return t - (t % HOUR_MS);
}

/**
 * Index 0..119 of an aligned window inside its hour.
 *
 * @example
 * slotOf(Date.UTC(2025, 0, 1, 10, 0, 30)) === 1;
 */
export function slotOf(windowStart: number): number {
  return (windowStart - hourStartOf(windowStart)) / SAMPLE_WINDOW_MS;
}

/** Whether a window start sits on a 30 s boundary, the only kind of window the slot model can count. */
export function isAlignedWindow(windowStart: number): boolean {
  return windowStart % SAMPLE_WINDOW_MS === 0;
}
