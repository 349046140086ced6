import type { Reducer, SideOutput, Transducer } from './api.ts';
import { Reduced, unreduced } from './reduced.ts';

/** One key's aggregate for one window [windowStart, windowEnd) of event time. */
export interface WindowResult<K, V> {
  readonly key: K;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly value: V;
}

export interface TumblingWindowOptions<A, K, V> {
  /** Window length in ms (> 0). Windows are aligned on multiples of `size` from epoch 0. */
  readonly size: number;
  /** Allowed lateness in ms (>= 0, default 0): how long past its end a window stays open. */
  readonly grace?: number;
  /** Event time of a record, in ms; must be a finite number. */
  readonly timestampOf: (record: A) => number;
  /** Aggregation key; keys compare like `Map` keys (SameValueZero). */
  readonly keyOf: (record: A) => K;
  /** Aggregates one key in one window: `init` when the key first appears, `complete` on emit. */
  readonly reducer: Reducer<V, A>;
  /** Receives records whose window was already emitted, instead of dropping them. */
  readonly late: SideOutput<A>;
}

interface Slot<V> {
  acc: V;
  done: boolean; // the per-key reducer returned `reduced`: absorb further records
}

interface Pane<K, V> {
  readonly start: number;
  readonly slots: Map<K, Slot<V>>;
}

/**
 * Event-time tumbling windows with allowed lateness.
 *
 * - The watermark is the greatest event time seen so far (starts at -Infinity).
 * - A record at time t belongs to window [start, start + size) with start = floor(t / size) * size.
 * - A window is emitted when watermark >= windowEnd + grace: one `WindowResult` per key, in
 *   window start order, then key first-seen order.
 * - A record whose window is already emitted (windowEnd + grace <= watermark) goes to `late`.
 * - Completion emits every open window (start order), then completes downstream.
 *
 * @example
 * const late = sideOutput<{ t: number; k: string }>();
 * const windows = tumblingWindows({
 *   size: 10, grace: 5, late, timestampOf: (r) => r.t, keyOf: (r) => r.k, reducer: count(),
 * });
 * into([], windows, [{ t: 1, k: 'a' }, { t: 3, k: 'b' }, { t: 16, k: 'a' }, { t: 2, k: 'a' }]);
 * // [{ key: 'a', windowStart: 0, windowEnd: 10, value: 1 }, { key: 'b', windowStart: 0, windowEnd: 10, value: 1 },
 * //  { key: 'a', windowStart: 10, windowEnd: 20, value: 1 }]; late.items: [{ t: 2, k: 'a' }]
 */
export function tumblingWindows<A, K, V>(options: TumblingWindowOptions<A, K, V>): Transducer<A, WindowResult<K, V>> {
  const { size, timestampOf, keyOf, reducer, late } = options;
  const grace = options.grace ?? 0;
  if (!(size > 0 && Number.isFinite(size))) {
    throw new RangeError(`tumblingWindows: size must be a finite number > 0, got ${String(size)}`);
  }
  if (!(grace >= 0 && Number.isFinite(grace))) {
    throw new RangeError(`tumblingWindows: grace must be a finite number >= 0, got ${String(grace)}`);
  }
  return <Acc>(rf: Reducer<Acc, WindowResult<K, V>>): Reducer<Acc, A> => {
    const step = rf.step;
    let watermark = -Infinity;
    // Open windows, sorted by start; few at a time (about (size + grace) / size + 1).
    let panes: Pane<K, V>[] = [];

    const emitPane = (acc: Acc, pane: Pane<K, V>): Acc | Reduced<Acc> => {
      const windowEnd = pane.start + size;
      for (const [key, slot] of pane.slots) {
        const r = step(acc, { key, windowStart: pane.start, windowEnd, value: reducer.complete(slot.acc) });
        if (r instanceof Reduced) return r;
        acc = r;
      }
      return acc;
    };

    const paneFor = (start: number): Pane<K, V> => {
      // Search from the newest: records mostly land in the latest window.
      let i = panes.length - 1;
      while (i >= 0 && (panes[i] as Pane<K, V>).start > start) i--;
      const found = panes[i];
      if (found !== undefined && found.start === start) return found;
      const pane: Pane<K, V> = { start, slots: new Map() };
      panes.splice(i + 1, 0, pane);
      return pane;
    };

    return {
      init: rf.init,
      step: (acc, record) => {
        const t = timestampOf(record);
        if (!Number.isFinite(t)) {
          throw new RangeError(`tumblingWindows: timestampOf returned ${String(t)}, expected a finite number`);
        }
        const start = Math.floor(t / size) * size;
        if (start + size + grace <= watermark) {
          late.emit(record);
          return acc;
        }
        const slots = paneFor(start).slots;
        const key = keyOf(record);
        let slot = slots.get(key);
        if (slot === undefined) {
          slot = { acc: reducer.init(), done: false };
          slots.set(key, slot);
        }
        if (!slot.done) {
          const r = reducer.step(slot.acc, record);
          if (r instanceof Reduced) {
            slot.acc = r.value;
            slot.done = true;
          } else {
            slot.acc = r;
          }
        }
        if (t <= watermark) return acc;
        // The watermark moved: emit the windows it has passed. The record's own window is
        // never among them, since its end + grace > t.
        watermark = t;
        while (panes.length > 0) {
          const pane = panes[0] as Pane<K, V>;
          if (pane.start + size + grace > watermark) break;
          panes.shift(); // clear before sending
          const r = emitPane(acc, pane);
          if (r instanceof Reduced) {
            panes = []; // downstream is done: nothing may be flushed to it on completion
            return r;
          }
          acc = r;
        }
        return acc;
      },
      complete: (acc) => {
        const open = panes;
        panes = []; // clear, then flush in start order, then complete downstream
        for (const pane of open) {
          const r = emitPane(acc, pane);
          if (r instanceof Reduced) {
            acc = unreduced(r);
            break;
          }
          acc = r;
        }
        return rf.complete(acc);
      },
    };
  };
}
