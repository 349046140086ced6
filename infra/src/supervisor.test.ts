import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@tally/log';
import { describe, expect, it } from 'vitest';
import { Supervisor } from './supervisor.ts';

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

describe('Supervisor', () => {
  it('restarts a crashed service, leaves a finished one-shot alone, and stops the rest with SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'supervisor-'));
    const crasher = join(dir, 'crasher.ts');
    // Crashes on its first two starts, then keeps running until SIGTERM.
    writeFileSync(
      crasher,
      `import { appendFileSync, readFileSync } from 'node:fs';
       const file = ${JSON.stringify(join(dir, 'starts'))};
       appendFileSync(file, 'x');
       if (readFileSync(file, 'utf8').length <= 2) process.exit(3);
       process.on('SIGTERM', () => { appendFileSync(${JSON.stringify(join(dir, 'stopped'))}, 'yes'); process.exit(0); });
       appendFileSync(${JSON.stringify(join(dir, 'listening'))}, 'yes');
       setInterval(() => undefined, 1000);`,
    );
    const oneShot = join(dir, 'one-shot.ts');
    writeFileSync(oneShot, `console.log('done');`);
    const supervisor = new Supervisor(createLogger('supervisor-test', 'silent'), join(dir, 'logs'));
    supervisor.start({ name: 'crasher', entry: crasher });
    supervisor.start({ name: 'job', entry: oneShot, oneShot: true });

    expect(
      await until(
        () =>
          supervisor.status().find((s) => s.name === 'crasher')?.restarts === 2 &&
          supervisor.status().every((s) => s.running || s.done),
        20_000,
      ),
    ).toBe(true);
    // On a loaded machine Node takes a while to start: SIGTERM only once the third start listens for it.
    expect(await until(() => existsSync(join(dir, 'listening')), 20_000)).toBe(true);
    const [crasherState, jobState] = supervisor.status();
    expect(crasherState).toMatchObject({ restarts: 2, running: true });
    expect(jobState).toMatchObject({ restarts: 0, done: true, lastExit: 0 });
    expect(readFileSync(jobState!.logFile, 'utf8')).toContain('done');

    await supervisor.stop();
    expect(readFileSync(join(dir, 'stopped'), 'utf8')).toBe('yes');
    expect(supervisor.status()[0]!.running).toBe(false);
  }, 30_000);
});
