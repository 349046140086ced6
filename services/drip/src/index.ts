export { closeHour, decisionId, dripMessageId, nextTimer, type DripEffect } from './core/decide.ts';
export {
  accountEvent,
  billingEvent,
  instanceEvent,
  paymentEvent,
  type DripEvent,
  type FactEvent,
} from './core/events.ts';
export { dripMachine } from './core/machine.ts';
export { defaultPolicyFile, dripPolicy, loadPolicy, type DripPolicy } from './core/policy.ts';
export { initialState, type DripState } from './core/state.ts';
export { compareEvents, dripTimeline } from './core/timeline.ts';
