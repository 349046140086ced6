import { quoteIdentifier, type Queryable } from '@tally/db';
import type { Logger } from '@tally/log';

/**
 * Folds the marked (account, instance, UTC day) keys into usage_daily_rollup (migration 0140), `maxKeys` marks per
 * transaction, until fewer remain. The view usage_daily is exact whether or not this ran: a marked key is summed from
 * usage_hourly by the view itself, so refreshing only keeps reads cheap (few marked keys) and metering's writes free of
 * the roll-up. Returns the marks taken; 0 when another refresh holds the turn.
 *
 * @example
 * await refreshUsageDaily(pool, 'tally'); // 1234
 */
export async function refreshUsageDaily(db: Queryable, meteringSchema: string, maxKeys = 20_000): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await db.query<{ taken: number }>(
      `SELECT ${quoteIdentifier(meteringSchema)}.usage_daily_refresh($1) AS taken`,
      [maxKeys],
    );
    const taken = result.rows[0]?.taken ?? -1;
    if (taken < 0) return total;
    total += taken;
    if (taken < maxKeys) return total;
  }
}

export interface UsageDailyRefresherOptions {
  readonly db: Queryable;
  readonly meteringSchema: string;
  readonly intervalMs: number;
  readonly log: Logger;
}

/** Refreshes every `intervalMs` until `signal` aborts; a failed round is logged and the next one tries again. */
export async function runUsageDailyRefresher(options: UsageDailyRefresherOptions, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const taken = await refreshUsageDaily(options.db, options.meteringSchema);
      if (taken > 0) options.log.debug({ taken }, 'usage_daily refreshed');
    } catch (error) {
      options.log.warn({ err: error }, 'usage_daily refresh failed; retrying');
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, options.intervalMs);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
}
