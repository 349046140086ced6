import type { Pool } from '@tally/db';
import type { Logger } from '@tally/log';
import type { Producer } from 'kafkajs';
import type { RunningConsumer } from '../consumer-runtime.ts';

/**
 * The life of a test consumer process: stops cleanly on SIGTERM/SIGINT, prints `<name> ready` once the handlers
 * exist (tests wait for it before a SIGTERM: one sent earlier, while modules load, kills the process before these
 * handlers exist), and exits non-zero when the consumer crashes for good.
 */
export function serveConsumerProcess(
  name: string,
  { running, producer, pool, log }: { running: RunningConsumer; producer: Producer; pool: Pool; log: Logger },
): void {
  const shutdown = async (signal: string) => {
    log.info({ signal }, 'stopping');
    await running.stop();
    await producer.disconnect();
    await pool.end();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.stdout.write(`${name} ready\n`);
  void running.crashed.then((error) => {
    log.error({ err: error }, 'consumer crashed');
    process.exit(1);
  });
}
