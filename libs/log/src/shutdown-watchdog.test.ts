import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from './index.ts';
import { shutdownWatchdog } from './shutdown-watchdog.ts';

function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      callback();
    },
  });
  return { log: createLogger('test', 'debug', sink), lines };
}

describe('shutdownWatchdog', () => {
  it('exits with 1 and names the step that hung when the deadline passes', () => {
    vi.useFakeTimers();
    try {
      const { log, lines } = capturedLogger();
      const exit = vi.fn();
      const watchdog = shutdownWatchdog(log, 1_000, exit);
      watchdog.step('consumers');
      watchdog.step('database pool');
      vi.advanceTimersByTime(999);
      expect(exit).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(exit).toHaveBeenCalledWith(1);
      expect(lines.at(-1)).toMatchObject({ level: 50, step: 'database pool', deadlineMs: 1_000 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('does nothing once the shutdown is done', () => {
    vi.useFakeTimers();
    try {
      const { log } = capturedLogger();
      const exit = vi.fn();
      const watchdog = shutdownWatchdog(log, 1_000, exit);
      watchdog.step('consumers');
      watchdog.done();
      vi.advanceTimersByTime(5_000);
      expect(exit).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });
});
