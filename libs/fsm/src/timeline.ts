import type { Machine, Transition } from './machine.ts';
import type { Hour } from './watermark.ts';

/** How a machine meets event time: which hour an event belongs to, in which order events of one hour apply, and its timer. */
export interface Timeline<S, E> {
  /** The event-time hour of an event. */
  readonly hourOf: (event: E) => Hour;
  /**
   * A total order of the events of one hour (ties only between equal events). Events are applied in this order
   * whatever order they arrived in, which is what makes a replay decide the same: arrival order across topics and
   * partitions differs between runs, the canonical order does not.
   */
  readonly order: (a: E, b: E) => number;
  /** The event that closes an hour: applied after the hour's events, and alone at a timer's hour. */
  readonly tick: (hour: Hour) => E;
  /** The hour at which the machine in `state` wants a tick even without events; undefined for none. */
  readonly wakeAt: (state: S) => Hour | undefined;
}

/** A machine's state with the first hour not yet closed for it. */
export interface Clocked<S> {
  readonly state: S;
  /** Every hour below this one has been applied (its events and its tick); undefined before the first. */
  readonly openHour: Hour | undefined;
}

/**
 * Applies buffered events to one machine up to the watermark: hour by hour, each hour's events in the canonical
 * order followed by its tick, and a lone tick at each timer hour in between. Hours at or after `mark` stay
 * buffered (returned in `pending`). An event for an hour already closed (late beyond the watermark's lateness)
 * is applied in the first open hour: it is not lost, and it cannot rewrite what was decided.
 *
 * Hours with neither events nor a timer are skipped, so cost grows with the events, not with the hours.
 *
 * @example
 * // events of hour 5 in any arrival order give the same result; hour 7 is not closed yet at mark 7
 * advanceTo(machine, timeline, { state, openHour: undefined }, [e5b, e7, e5a], 7);
 * // { clocked: { state: afterHour5, openHour: 6 }, effects: [...], pending: [e7] }
 */
export function advanceTo<S, E, F>(
  machine: Machine<S, E, F>,
  timeline: Timeline<S, E>,
  start: Clocked<S>,
  events: readonly E[],
  mark: Hour,
): { clocked: Clocked<S>; effects: F[]; pending: E[] } {
  const open = start.openHour;
  const effective = (event: E): Hour => {
    const hour = timeline.hourOf(event);
    return open !== undefined && hour < open ? open : hour;
  };
  const due = events.filter((event) => effective(event) < mark);
  const pending = events.filter((event) => effective(event) >= mark);
  const byHour = new Map<Hour, E[]>();
  for (const event of due) {
    const hour = effective(event);
    const list = byHour.get(hour);
    if (list === undefined) byHour.set(hour, [event]);
    else list.push(event);
  }
  const eventHours = [...byHour.keys()].sort((a, b) => a - b);

  let state = start.state;
  let openHour = open;
  const effects: F[] = [];
  const apply = (event: E): void => {
    const next: Transition<S, F> = machine(state, event);
    state = next.state;
    effects.push(...next.effects);
  };
  let index = 0;
  for (;;) {
    const nextEvents = eventHours[index];
    const wake = timeline.wakeAt(state);
    // A timer never fires in an hour already closed: a wake in the past means "at the first open hour".
    const timer = wake === undefined ? undefined : openHour === undefined ? wake : Math.max(wake, openHour);
    const hour = min(nextEvents, timer);
    if (hour === undefined || hour >= mark) break;
    if (hour === nextEvents) {
      for (const event of [...(byHour.get(hour) ?? [])].sort(timeline.order)) apply(event);
      index += 1;
    }
    apply(timeline.tick(hour));
    openHour = hour + 1;
  }
  return { clocked: { state, openHour }, effects, pending };
}

function min(a: Hour | undefined, b: Hour | undefined): Hour | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
