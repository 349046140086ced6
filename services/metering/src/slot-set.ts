import { SLOTS_PER_HOUR } from './hour-slots.ts';

/**
 * The counted slots of one hour as a 120-bit bitmap in four 32-bit words.
 * Immutable: adding a slot returns a new tuple, so successive instance-hour states can share sets safely.
 */
export type SlotSet = readonly [number, number, number, number];

export const EMPTY_SLOT_SET: SlotSet = [0, 0, 0, 0];

function checkSlot(slot: number): void {
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOTS_PER_HOUR) {
    throw new RangeError(`slot out of range 0..${SLOTS_PER_HOUR - 1}: ${slot}`);
  }
}

/**
 * @example
 * hasSlot(withSlot(EMPTY_SLOT_SET, 7), 7) === true;
 */
export function hasSlot(set: SlotSet, slot: number): boolean {
  checkSlot(slot);
  return (((set[slot >>> 5] ?? 0) >>> (slot & 31)) & 1) === 1;
}

/**
 * A copy of `set` with `slot` added (the same tuple when it is already there).
 *
 * @example
 * slotsOf(withSlot(EMPTY_SLOT_SET, 3)); // [3]
 */
export function withSlot(set: SlotSet, slot: number): SlotSet {
  if (hasSlot(set, slot)) return set;
  const words: [number, number, number, number] = [set[0], set[1], set[2], set[3]];
  const index = slot >>> 5;
  words[index] = ((words[index] ?? 0) | (1 << (slot & 31))) >>> 0;
  return words;
}

/** Slots in either set. */
export function unionSlots(a: SlotSet, b: SlotSet): SlotSet {
  return [(a[0] | b[0]) >>> 0, (a[1] | b[1]) >>> 0, (a[2] | b[2]) >>> 0, (a[3] | b[3]) >>> 0];
}

function popcount32(word: number): number {
  let v = word - ((word >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/**
 * Number of slots in the set.
 *
 * @example
 * countSlots(slotSetOf([0, 5, 119])) === 3;
 */
export function countSlots(set: SlotSet): number {
  return popcount32(set[0]) + popcount32(set[1]) + popcount32(set[2]) + popcount32(set[3]);
}

/** The slots in ascending order, the shape UsageHourly carries. */
export function slotsOf(set: SlotSet): number[] {
  const slots: number[] = [];
  for (let slot = 0; slot < SLOTS_PER_HOUR; slot += 1) {
    if (hasSlot(set, slot)) slots.push(slot);
  }
  return slots;
}

/** Builds a set from slot indexes in any order; duplicates are harmless. */
export function slotSetOf(slots: Iterable<number>): SlotSet {
  let set = EMPTY_SLOT_SET;
  for (const slot of slots) set = withSlot(set, slot);
  return set;
}
