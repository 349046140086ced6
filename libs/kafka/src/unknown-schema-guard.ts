/**
 * A circuit for records whose schema id a healthy registry does not know.
 *
 * One such record is poison (garbage that happens to start with the magic byte, a producer that used
 * another registry): dead-letter it. Many in a short time mean the registry lost schemas (it was reset,
 * or pointed at other storage), and dead-lettering them would empty a whole topic into its dead-letter
 * topic. The rule: more than `burstLimit` unknown-id records within `windowMs` trips the circuit; while
 * tripped every unknown id is transient (the partition stalls, retried with backoff, with an error log
 * and the runtime's stalled metric) until no unknown id has been seen for `quietMs`. The stalled
 * record's own retries keep it tripped, so a lost registry stalls until an operator restores it,
 * instead of leaking `burstLimit` dead letters per window.
 *
 * The first `burstLimit` records of a burst are dead-lettered before the circuit trips; `tally dlq
 * redrive <topic> --error-class UnknownSchemaId` sends them back once the registry is restored.
 */
export interface UnknownIdGuardOptions {
  burstLimit: number;
  windowMs: number;
  quietMs: number;
}

export const defaultUnknownIdGuard: UnknownIdGuardOptions = { burstLimit: 5, windowMs: 60_000, quietMs: 300_000 };

export interface UnknownIdState {
  /** Times of the unknown-id records judged within the window, oldest first. */
  recent: readonly number[];
  lastSeen: number | undefined;
  tripped: boolean;
}

export const initialUnknownIdState: UnknownIdState = { recent: [], lastSeen: undefined, tripped: false };

export interface UnknownIdJudgement {
  verdict: 'poison' | 'stall';
  state: UnknownIdState;
  /** True on the judgement that trips the circuit: log it loudly once. */
  justTripped: boolean;
}

/**
 * Judges one record whose schema id the registry confirmed unknown, at time `now`; pure.
 *
 * @example
 * const o = { burstLimit: 2, windowMs: 60_000, quietMs: 300_000 };
 * let s = initialUnknownIdState;
 * ({ state: s } = judgeUnknownId(s, 0, o));      // verdict 'poison'
 * ({ state: s } = judgeUnknownId(s, 1_000, o));  // verdict 'poison'
 * judgeUnknownId(s, 2_000, o).verdict            // 'stall' (and justTripped)
 */
export function judgeUnknownId(state: UnknownIdState, now: number, options: UnknownIdGuardOptions): UnknownIdJudgement {
  const quiet = state.lastSeen === undefined || now - state.lastSeen >= options.quietMs;
  if (state.tripped && !quiet) {
    return { verdict: 'stall', state: { ...state, lastSeen: now }, justTripped: false };
  }
  const recent = [...state.recent.filter((time) => now - time < options.windowMs), now];
  if (recent.length > options.burstLimit) {
    return { verdict: 'stall', state: { recent, lastSeen: now, tripped: true }, justTripped: true };
  }
  return { verdict: 'poison', state: { recent, lastSeen: now, tripped: false }, justTripped: false };
}
