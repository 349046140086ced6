import type { Logger } from '@tally/log';
import type { SampleSender } from '../sample-sender.ts';
import type { Wakeup } from './wakeup.ts';

/**
 * Sends what the spool holds, oldest first, whenever the window loop wakes it, and after `retryMs` when a send
 * failed. On abort it tries once more (bounded by `finalFlushMs`) so a clean stop leaves little behind; what is
 * left stays spooled for the next start.
 *
 * @example
 * await runSpoolPump(sender, wakeup, { retryMs: 5_000, finalFlushMs: 5_000, log }, controller.signal);
 */
export async function runSpoolPump(
  sender: SampleSender,
  wakeup: Wakeup,
  options: { readonly retryMs: number; readonly finalFlushMs: number; readonly log: Logger },
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    const drained = await sender.drain();
    await wakeup.wait(drained ? 60_000 : options.retryMs, signal);
  }
  const empty = await sender.flush(options.finalFlushMs);
  options.log.info({ empty, ...sender.stats }, 'sender stopped');
}
