import { hourOf, type Timeline } from '@tally/fsm';
import { nextTimer } from './decide.ts';
import { eventTime, type DripEvent } from './events.ts';
import type { DripPolicy } from './policy.ts';
import type { DripState } from './state.ts';

const RANK: Readonly<Record<DripEvent['kind'], number>> = { account: 0, instance: 1, payment: 2, billing: 3, tick: 4 };

/** Canonical order of one hour's events: by kind, then by content (ties only between equal events). */
export function compareEvents(a: DripEvent, b: DripEvent): number {
  const byKind = RANK[a.kind] - RANK[b.kind];
  if (byKind !== 0) return byKind;
  const left = canonical(a);
  const right = canonical(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** JSON with sorted keys: events read back from jsonb have their keys in another order than when written. */
function canonical(event: DripEvent): string {
  return JSON.stringify(Object.fromEntries(Object.entries(event).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

/** How the drip machine meets event time (libs/fsm advanceTo). */
export function dripTimeline(policy: DripPolicy): Timeline<DripState, DripEvent> {
  return {
    hourOf: (event) => (event.kind === 'tick' ? event.hour : hourOf(eventTime(event))),
    order: compareEvents,
    tick: (hour) => ({ kind: 'tick', hour }),
    wakeAt: (state) => nextTimer(policy, state),
  };
}
