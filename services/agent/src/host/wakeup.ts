/**
 * A sleep that another task can cut short (new samples in the spool) and that ends at once on abort.
 *
 * @example
 * const wakeup = new Wakeup(); setTimeout(() => wakeup.wake(), 10); await wakeup.wait(60_000, signal);
 */
export class Wakeup {
  #pending: (() => void) | undefined;
  #woken = false;

  wake(): void {
    this.#woken = true;
    this.#pending?.();
  }

  /** Resolves after `ms`, on `wake()` (also one that came since the last wait), or on abort. */
  wait(ms: number, signal: AbortSignal): Promise<void> {
    if (this.#woken || signal.aborted) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#pending = undefined;
        this.#woken = false;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal.addEventListener('abort', done, { once: true });
      this.#pending = done;
    });
  }
}
