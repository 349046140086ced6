// The pure core of abuse detection; adapters (tables, consumers, decider) are wired in main.ts.
export { abuseMachine, wakeAt } from './core/machine.ts';
export { abuseTimeline } from './core/timeline.ts';
export { abusePolicy, defaultPolicy, parsePolicy, type AbusePolicy } from './core/policy.ts';
export { initialState, type AbuseState, type HistoryEntry } from './core/state.ts';
export type { AbuseEvent } from './core/events.ts';
export type { AbuseEffect } from './core/effects.ts';
export { decisionOf, noticeId } from './core/outputs.ts';
export { explainText } from './core/explain.ts';
