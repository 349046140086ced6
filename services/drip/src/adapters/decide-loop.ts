import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@tally/log';
import type { PassOutcome } from './decider.ts';

/**
 * Runs decider passes until `signal` aborts: at once after a pass that had more accounts due than it moved, else
 * after `intervalMs`. The interval only paces the polling; what is decided depends on the watermark alone. A failed
 * pass (database or broker away) rolled back; it is logged and tried again after the interval.
 */
export async function runDecideLoop(
  pass: () => Promise<PassOutcome>,
  options: { intervalMs: number; log: Logger },
  signal: AbortSignal,
): Promise<void> {
  let last: number | undefined;
  while (!signal.aborted) {
    let more = false;
    try {
      const outcome = await pass();
      more = outcome.more;
      if (outcome.mails > 0 || outcome.watermark !== last)
        options.log.info(
          { watermark: outcome.watermark, accounts: outcome.accounts, mails: outcome.mails },
          'drip pass',
        );
      last = outcome.watermark;
    } catch (error) {
      options.log.error({ err: error }, 'drip decider pass failed; retrying');
    }
    if (!more) await sleep(options.intervalMs, undefined, { signal }).catch(() => undefined);
  }
}
