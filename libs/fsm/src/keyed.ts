import type { Machine, Transition } from './machine.ts';

/**
 * Runs one machine per key (an account, say) over a batch: each key's state is loaded once by the caller,
 * every event moves only its key's machine, and the result holds each touched key's final state and its
 * effects in event order. The I/O layer writes exactly the touched states, in one transaction with the offsets.
 *
 * @example
 * runKeyed(machine, (e) => e.account, new Map(), () => initial, events).get('a-1')?.state
 */
export function runKeyed<K, S, E, F>(
  machine: Machine<S, E, F>,
  keyOf: (event: E) => K,
  loaded: ReadonlyMap<K, S>,
  initial: (key: K) => S,
  events: Iterable<E>,
): Map<K, Transition<S, F>> {
  const touched = new Map<K, { state: S; effects: F[] }>();
  for (const event of events) {
    const key = keyOf(event);
    const current = touched.get(key) ?? { state: loaded.get(key) ?? initial(key), effects: [] };
    const next = machine(current.state, event);
    touched.set(key, { state: next.state, effects: [...current.effects, ...next.effects] });
  }
  return touched;
}
