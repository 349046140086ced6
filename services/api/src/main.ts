/**
 * The API process: reads its configuration, starts the server, stops cleanly on SIGTERM. Wiring only; see start.ts.
 */
import { loadConfig } from '@tally/config';
import { createLogger, shutdownWatchdog } from '@tally/log';
import { apiEnv } from './config.ts';
import { startApi } from './start.ts';

const config = loadConfig(apiEnv);
const log = createLogger('api');

// Signals may come while still starting: remember them and stop once the server is up.
let stopRequested: string | undefined;
let stop = (reason: string): void => void (stopRequested ??= reason);
process.once('SIGTERM', () => stop('SIGTERM'));
process.once('SIGINT', () => stop('SIGINT'));

const api = await startApi(config, process.env, log);

let stopping = false;
async function shutdown(reason: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ reason }, 'stopping');
  const watchdog = shutdownWatchdog(log, config.API_SHUTDOWN_DEADLINE_MS);
  watchdog.step('server and pools');
  await api.close();
  watchdog.done();
  log.info('stopped');
  process.exit(0);
}
stop = (reason) => void shutdown(reason);
if (stopRequested !== undefined) stop(stopRequested);
