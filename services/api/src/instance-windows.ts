import { HOUR_MS, type CountedSlots } from '@tally/records';

export const SLOT_MS = 30_000;
export const SLOTS_PER_HOUR = HOUR_MS / SLOT_MS;

export interface InterfaceWindows {
  readonly interfaceId: string;
  readonly countedWindows: number;
  /** All 120 windows of the hour, in order, each saying whether metering counted a sample for it. */
  readonly windows: { readonly slot: number; readonly windowStart: string; readonly counted: boolean }[];
}

/**
 * An instance-hour's counted slots as the 30 s windows support asks about ("was this window counted?").
 *
 * @example
 * interfaceWindows(Date.parse('2026-11-01T10:00:00Z'), [{ interfaceId: 'eth0', slots: [0, 2] }])[0].windows[1];
 * // { slot: 1, windowStart: '2026-11-01T10:00:30.000Z', counted: false }
 */
export function interfaceWindows(hourStart: number, counted: readonly CountedSlots[]): InterfaceWindows[] {
  return counted.map(({ interfaceId, slots }) => {
    const set = new Set(slots);
    return {
      interfaceId,
      countedWindows: set.size,
      windows: Array.from({ length: SLOTS_PER_HOUR }, (_, slot) => ({
        slot,
        windowStart: new Date(hourStart + slot * SLOT_MS).toISOString(),
        counted: set.has(slot),
      })),
    };
  });
}
