import { pino, type DestinationStream, type Logger } from 'pino';
import { CENSOR, redactDeep, redactPaths, redactUrlsIn } from './redact.ts';

export type { DestinationStream, Logger };
export { redactUrl, redactUrlsIn } from './redact.ts';
export { shutdownWatchdog, type ShutdownWatchdog } from './shutdown-watchdog.ts';

/**
 * The one way a Tally process gets a logger: structured JSON to stdout, level from LOG_LEVEL. No credential gets
 * through: secret-named keys are censored and URLs anywhere in a line (message, fields, errors) lose their user info.
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
  return pino(
    {
      name: service,
      level,
      base: { service },
      redact: { paths: redactPaths, censor: CENSOR },
      // Runs before serializers: errors anywhere in the line become plain, scrubbed objects here.
      formatters: { log: (object) => redactDeep(object) as Record<string, unknown> },
      serializers: { err: (value: unknown) => redactDeep(value) },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg: unknown) => (typeof arg === 'string' ? redactUrlsIn(arg) : arg));
          // Without a message pino takes the error's: give it the scrubbed one.
          const first: unknown = args[0];
          const error = first instanceof Error ? first : (first as { err?: unknown } | null)?.err;
          if (error instanceof Error && typeof args[1] !== 'string' && (first as { msg?: unknown }).msg === undefined)
            scrubbed.splice(1, 0, redactUrlsIn(error.message));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}
