import type { TrafficSample } from '@tally/records';

/** A sample waiting for its instance to appear in the inventory, and since when. */
export interface HeldSample {
  readonly sample: TrafficSample;
  readonly heldAt: number;
}

export interface PendingLimits {
  /** Most samples held at once; one more evicts the oldest to late data. */
  readonly maxPending: number;
  /** Longest a sample waits for its instance before it goes to late data. */
  readonly maxWaitMs: number;
}

/**
 * Samples of instances the inventory does not know yet, oldest first, bounded by count and by wait.
 * Nothing leaves except through `release`, `hold`'s eviction or `expire`, so nothing is dropped silently.
 * Mutable and deterministic: no clock, `now` is always a parameter.
 */
export class PendingSamples {
  readonly limits: PendingLimits;
  // Map iteration follows insertion, so this is a FIFO that also allows removal from the middle.
  readonly #bySeq = new Map<number, HeldSample>();
  readonly #byInstance = new Map<string, number[]>();
  #nextSeq = 0;

  constructor(limits: PendingLimits, held: Iterable<HeldSample> = []) {
    if (!Number.isInteger(limits.maxPending) || limits.maxPending < 0) {
      throw new RangeError(`maxPending must be a non-negative integer: ${limits.maxPending}`);
    }
    this.limits = limits;
    for (const entry of held) this.#push(entry);
  }

  get size(): number {
    return this.#bySeq.size;
  }

  #push(entry: HeldSample): void {
    const seq = this.#nextSeq++;
    this.#bySeq.set(seq, entry);
    const seqs = this.#byInstance.get(entry.sample.instanceId);
    if (seqs === undefined) this.#byInstance.set(entry.sample.instanceId, [seq]);
    else seqs.push(seq);
  }

  #remove(seq: number): HeldSample | undefined {
    const entry = this.#bySeq.get(seq);
    if (entry === undefined) return undefined;
    this.#bySeq.delete(seq);
    const seqs = this.#byInstance.get(entry.sample.instanceId);
    if (seqs !== undefined) {
      const index = seqs.indexOf(seq);
      if (index >= 0) seqs.splice(index, 1);
      if (seqs.length === 0) this.#byInstance.delete(entry.sample.instanceId);
    }
    return entry;
  }

  /**
   * Holds a sample; returns the samples evicted to make room (oldest first), which go to late data.
   *
   * @example
   * const evicted = pending.hold(sample, now); // [] until the buffer is full
   */
  hold(sample: TrafficSample, now: number): TrafficSample[] {
    const evicted: TrafficSample[] = [];
    if (this.limits.maxPending === 0) return [sample];
    while (this.#bySeq.size >= this.limits.maxPending) {
      const oldest = this.#bySeq.keys().next();
      if (oldest.done === true) break;
      const entry = this.#remove(oldest.value);
      if (entry !== undefined) evicted.push(entry.sample);
    }
    this.#push({ sample, heldAt: now });
    return evicted;
  }

  /** Removes and returns the samples of one instance in arrival order (its inventory record arrived). */
  release(instanceId: string): TrafficSample[] {
    const seqs = [...(this.#byInstance.get(instanceId) ?? [])];
    return seqs.flatMap((seq) => {
      const entry = this.#remove(seq);
      return entry === undefined ? [] : [entry.sample];
    });
  }

  /** Removes and returns, oldest first, the samples that have waited longer than `maxWaitMs` at `now`. */
  expire(now: number): TrafficSample[] {
    const expired: TrafficSample[] = [];
    for (const [seq, entry] of this.#bySeq) {
      // heldAt is non-decreasing in practice; scanning all keeps this correct even if a caller's clock steps back.
      if (now - entry.heldAt > this.limits.maxWaitMs) {
        this.#remove(seq);
        expired.push(entry.sample);
      }
    }
    return expired;
  }

  /** Everything held, oldest first: what a runtime persists to survive a restart (see README). */
  snapshot(): HeldSample[] {
    return [...this.#bySeq.values()];
  }
}
