export { SLOTS_PER_HOUR, hourStartOf, slotOf, isAlignedWindow } from './hour-slots.ts';
export {
  type SlotSet,
  EMPTY_SLOT_SET,
  hasSlot,
  withSlot,
  unionSlots,
  countSlots,
  slotsOf,
  slotSetOf,
} from './slot-set.ts';
export { addDecimals, canonicalDecimal, compareDecimals } from './decimal-sum.ts';
export {
  type Owner,
  type InstanceHour,
  emptyInstanceHour,
  runningSeconds,
  toUsageHourly,
  fromUsageHourly,
} from './instance-hour.ts';
export { type MergeResult, CounterOverflowError, mergeSample } from './merge-sample.ts';
export {
  type ValidationConfig,
  type SampleVerdict,
  MAX_BYTES_PER_WINDOW_100G,
  MAX_PACKETS_PER_WINDOW_100G,
  MAX_CPU_SECONDS_PER_WINDOW,
  classifySample,
} from './validate-sample.ts';
export { type HeldSample, type PendingLimits, PendingSamples } from './pending-samples.ts';
export { InventoryTable } from './inventory-table.ts';
export {
  type RejectedSample,
  type MeterBatchInput,
  type MeterBatchResult,
  UNKNOWN_INSTANCE_BUFFER_FULL,
  UNKNOWN_INSTANCE_WAITED_TOO_LONG,
  instanceHourKeys,
  meterBatch,
} from './meter-batch.ts';
