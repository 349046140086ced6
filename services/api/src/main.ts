/**
 * The API process: reads its configuration, starts the server, stops cleanly on SIGTERM. Wiring only; see start.ts.
 */
import { loadConfig } from '@tally/config';
import { createPool } from '@tally/db';
import { createLogger, shutdownWatchdog } from '@tally/log';
import { z } from 'zod';
import { apiEnv } from './config.ts';
import { startApi } from './start.ts';
import { runUsageDailyRefresher } from './usage-daily-refresh.ts';

const config = loadConfig(
  apiEnv.extend({
    /** How often usage_daily's roll-up folds in the days metering changed (migration 0140); 0: never (another
     * process refreshes). Reads are exact either way; a refresh keeps them cheap. */
    API_USAGE_DAILY_REFRESH_MS: z.coerce.number().int().min(0).default(5_000),
  }),
);
const log = createLogger('api');

// Signals may come while still starting: remember them and stop once the server is up.
let stopRequested: string | undefined;
let stop = (reason: string): void => void (stopRequested ??= reason);
process.once('SIGTERM', () => stop('SIGTERM'));
process.once('SIGINT', () => stop('SIGINT'));

const api = await startApi(config, process.env, log);
// The roll-up's refresh runs as the API's own role: usage_daily_refresh() is SECURITY DEFINER (it writes metering's
// schema, which the API may only read).
const refreshPool = createPool(config.DATABASE_URL, { max: 1, applicationName: 'tally-api-usage-daily' });
const refreshing = new AbortController();
const refresher =
  config.API_USAGE_DAILY_REFRESH_MS > 0
    ? runUsageDailyRefresher(
        {
          db: refreshPool,
          meteringSchema: config.API_METERING_SCHEMA ?? config.DB_SCHEMA,
          intervalMs: config.API_USAGE_DAILY_REFRESH_MS,
          log,
        },
        refreshing.signal,
      )
    : Promise.resolve();

let stopping = false;
async function shutdown(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ reason }, 'stopping');
  const watchdog = shutdownWatchdog(log, config.API_SHUTDOWN_DEADLINE_MS);
  watchdog.step('server and pools');
  refreshing.abort();
  await api.close();
  await refresher;
  await refreshPool.end();
  watchdog.done();
  log.info('stopped');
  process.exit(0);
}
stop = (reason) => void shutdown(reason);
if (stopRequested !== undefined) stop(stopRequested);
