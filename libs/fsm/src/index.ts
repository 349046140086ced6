export { go, runMachine, stay } from './machine.ts';
export type { Machine, Transition } from './machine.ts';
export { runKeyed } from './keyed.ts';
export { advanceWatermark, hourOf, hourStartOf, watermark } from './watermark.ts';
export type { Hour, StreamProgress } from './watermark.ts';
export { advanceTo } from './timeline.ts';
export type { Clocked, Timeline } from './timeline.ts';
