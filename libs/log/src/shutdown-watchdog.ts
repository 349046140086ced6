import type { Logger } from 'pino';

export interface ShutdownWatchdog {
  /** Names the step now running, so a hang is reported by name. */
  step(name: string): void;
  /** The shutdown finished: disarm. */
  done(): void;
}

/**
 * Bounds a clean shutdown. Each step is named as it starts; if the whole shutdown has not finished within
 * `deadlineMs`, the step that hung is logged as an error and the process exits with `exit(1)`. Every effect of a
 * Tally service is transactional (results with their offsets, outbox rows), so cutting a hung step (a PostgreSQL
 * client on a dropped connection, a broker that stopped answering) loses nothing, whereas waiting forever leaves an
 * orchestrator to SIGKILL the process without a word of why.
 *
 * @example
 * const watchdog = shutdownWatchdog(log, 20_000);
 * watchdog.step('consumers');
 * await consumer.stop();
 * watchdog.done();
 */
export function shutdownWatchdog(
  log: Logger,
  deadlineMs: number,
  exit: (code: number) => void = (code) => process.exit(code),
): ShutdownWatchdog {
  let current = 'starting';
  const timer = setTimeout(() => {
    log.error({ step: current, deadlineMs }, 'shutdown did not finish in time; exiting');
    exit(1);
  }, deadlineMs);
  return {
    step(name) {
      current = name;
      log.debug({ step: name }, 'shutdown step');
    },
    done() {
      clearTimeout(timer);
    },
  };
}
