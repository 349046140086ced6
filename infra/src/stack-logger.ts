import { createLogger, type Logger } from '@tally/log';
import pretty from 'pino-pretty';

/**
 * The stack CLI's logger: on a terminal, one human-readable line per event (time, level, message, then the
 * details on the same line); JSON lines otherwise (CI, a pipe, a file), like every Tally process.
 */
export function stackLogger(name: string, level?: string, tty: boolean = process.stdout.isTTY): Logger {
  if (!tty) return createLogger(name, level);
  const destination = pretty({
    sync: true, // the CLI ends with process.exit: nothing may wait in a buffer
    colorize: true,
    singleLine: true,
    translateTime: 'HH:MM:ss',
    // The progress line says its counts in words already.
    ignore: 'pid,hostname,service,name,usageHours,invoices,finalized,services',
  });
  return createLogger(name, level, destination);
}
