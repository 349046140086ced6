import type { Timeline } from '@tally/fsm';
import { canonicalOrder, type AbuseEvent } from './events.ts';
import { wakeAt } from './machine.ts';
import type { AbusePolicy } from './policy.ts';
import type { AbuseState } from './state.ts';

/** How the abuse machine meets event time (libs/fsm advanceTo): canonical order within an hour, tick, timers. */
export function abuseTimeline(policy: AbusePolicy): Timeline<AbuseState, AbuseEvent> {
  return {
    hourOf: (event) => event.hour,
    order: canonicalOrder,
    tick: (hour) => ({ kind: 'tick', hour }),
    wakeAt: (state) => wakeAt(policy, state),
  };
}
