import { pino, type DestinationStream, type Logger } from 'pino';

export type { DestinationStream, Logger };

/**
 * The one way a Tally process gets a logger: structured JSON to stdout, level from LOG_LEVEL.
 *
 * @example
 * const log = createLogger('metering');
 * log.info({ partition: 3 }, 'assigned');
 */
export function createLogger(
  service: string,
  level: string = process.env['LOG_LEVEL'] ?? 'info',
  /** Where lines go instead of stdout (the stack CLI's human-readable output on a terminal). */
  destination?: DestinationStream,
): Logger {
  return pino({ name: service, level, base: { service } }, destination);
}
