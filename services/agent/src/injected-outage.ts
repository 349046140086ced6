import type { SendSamples } from './sample-sender.ts';

/**
 * A broker outage injected into the agent's own send path: batches submitted while `active` fail as a real
 * unreachable broker would. Used where cutting the network is not possible (a shared broker whose advertised
 * address clients learn from metadata, which bypasses a proxy in front of it).
 */
export class InjectedOutage {
  readonly #from: number;
  readonly #to: number;
  #batch = -1;
  #ended = false;

  /** Batches number from 0; those with index in [from, to) cannot be sent. */
  constructor(from: number, to: number) {
    this.#from = from;
    this.#to = to;
  }

  /** Call once per batch the simulator submits. */
  nextBatch(): void {
    this.#batch += 1;
  }

  /** The broker is back for good (the stream has ended), whatever the batch index says. */
  end(): void {
    this.#ended = true;
  }

  get active(): boolean {
    return !this.#ended && this.#from <= this.#batch && this.#batch < this.#to;
  }

  /** `send`, failing while the outage is active. */
  wrap(send: SendSamples): SendSamples {
    return async (samples) => {
      if (this.active) throw new Error(`injected broker outage (batch ${this.#batch})`);
      await send(samples);
    };
  }
}
