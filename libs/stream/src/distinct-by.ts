import type { Reducer, Transducer } from './api.ts';
import { assertCount } from './validate.ts';

/**
 * Sends an input only if its key is not among the keys remembered, and remembers at most
 * `capacity` keys (bounded memory). Eviction is LRU: a key seen again (sent or dropped) becomes
 * the most recent; when a new key would exceed `capacity`, the least recently seen key is
 * forgotten, and an input with that key will be sent again. Keys compare like `Map` keys
 * (SameValueZero), so use strings or numbers, not fresh objects.
 *
 * @example
 * into([], distinctBy((r: { id: string }) => r.id, 1000), [{ id: 'a' }, { id: 'b' }, { id: 'a' }]);
 * // [{ id: 'a' }, { id: 'b' }]
 */
export function distinctBy<A, K>(keyOf: (input: A) => K, capacity: number): Transducer<A, A> {
  assertCount('distinctBy', 'capacity', capacity, 1);
  if (capacity === Infinity) throw new RangeError('distinctBy: capacity must be finite (bounded memory)');
  return <Acc>(rf: Reducer<Acc, A>): Reducer<Acc, A> => {
    const step = rf.step;
    // A Set iterates in insertion order: the first key is the least recently seen.
    const seen = new Set<K>();
    return {
      init: rf.init,
      step: (acc, input) => {
        const key = keyOf(input);
        if (seen.has(key)) {
          seen.delete(key);
          seen.add(key);
          return acc;
        }
        seen.add(key);
        if (seen.size > capacity) seen.delete(seen.values().next().value as K);
        return step(acc, input);
      },
      complete: (acc) => {
        seen.clear();
        return rf.complete(acc);
      },
    };
  };
}
