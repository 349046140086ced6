import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@tally/log';
import type { TrafficSample } from '@tally/records';
import { SpoolFullError, type Spool } from './spool.ts';

/** Sends one batch to the broker and resolves once it is acknowledged; throws when it could not. */
export type SendSamples = (samples: readonly TrafficSample[]) => Promise<void>;

export interface SampleSenderOptions {
  readonly send: SendSamples;
  readonly spool: Spool;
  readonly log: Logger;
  /** Pause after a failed send before the next attempt; batches meanwhile go to the spool. */
  readonly retryMs: number;
  /** Most samples sent from the spool at once. */
  readonly drainBatch: number;
  readonly clock?: () => number;
}

/**
 * The agent's path to the broker: a batch goes straight out while the spool is empty; when a send fails it
 * goes to the spool, and so does everything after it until the spool has drained, oldest first, so samples of
 * one instance keep their order. Nothing is dropped: a full spool blocks until draining makes room.
 */
export class SampleSender {
  readonly #options: SampleSenderOptions;
  readonly #clock: () => number;
  #retryAfter = 0;
  #sent = 0;
  #failures = 0;
  /** A send failed since the spool was last empty: its draining is worth a log line (routine draining is not). */
  #recovering = false;

  constructor(options: SampleSenderOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
  }

  get stats(): { sent: number; spooled: number; failures: number } {
    return { sent: this.#sent, spooled: this.#options.spool.size, failures: this.#failures };
  }

  /** Sends or spools one batch; resolves once the batch is acknowledged or durably spooled. */
  async submit(samples: readonly TrafficSample[]): Promise<void> {
    if (samples.length === 0) return;
    if (this.#options.spool.size === 0 && this.#clock() >= this.#retryAfter) {
      try {
        await this.#options.send(samples);
        this.#sent += samples.length;
        return;
      } catch (error) {
        this.#failed(error);
      }
    }
    await this.#spool(samples);
    if (this.#clock() >= this.#retryAfter) await this.drain();
  }

  /** Sends what the spool holds, oldest first, until it is empty or a send fails; returns whether it is empty. */
  async drain(): Promise<boolean> {
    const { spool, send, drainBatch, log } = this.#options;
    while (spool.size > 0) {
      const batch = await spool.peek(drainBatch);
      try {
        await send(batch);
      } catch (error) {
        this.#failed(error);
        return false;
      }
      await spool.ack(batch.length);
      this.#sent += batch.length;
      if (spool.size === 0 && this.#recovering) {
        this.#recovering = false;
        log.info({ sent: this.#sent }, 'spool drained; sending directly again');
      }
    }
    return true;
  }

  /** Drains the spool, retrying failed sends, until it is empty or `timeoutMs` passes; returns whether it is. */
  async flush(timeoutMs: number): Promise<boolean> {
    const deadline = this.#clock() + timeoutMs;
    while (!(await this.drain())) {
      if (this.#clock() >= deadline) return false;
      await sleep(Math.max(0, this.#retryAfter - this.#clock()));
    }
    return true;
  }

  #failed(error: unknown): void {
    this.#failures += 1;
    this.#recovering = true;
    this.#retryAfter = this.#clock() + this.#options.retryMs;
    this.#options.log.warn(
      { err: error, spooled: this.#options.spool.size, retryMs: this.#options.retryMs },
      'send failed; spooling until the broker is back',
    );
  }

  async #spool(samples: readonly TrafficSample[]): Promise<void> {
    for (;;) {
      try {
        await this.#options.spool.append(samples);
        return;
      } catch (error) {
        if (!(error instanceof SpoolFullError)) throw error;
        // Refuse to drop: surface it, wait for the broker, make room by draining, try again.
        this.#options.log.error({ err: error }, 'spool full; waiting for the broker to drain it');
        await sleep(this.#options.retryMs);
        await this.drain();
      }
    }
  }
}
