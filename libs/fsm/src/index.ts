export { go, runMachine, stay } from './machine.ts';
export type { Machine, Transition } from './machine.ts';
export { runKeyed } from './keyed.ts';
