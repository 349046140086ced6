/**
 * The chaos soak as CI runs it: `pnpm soak --minutes 3 --seed 1` (about 5 minutes in all on a 2-core machine). Seed 1
 * plans every kind of fault in 3 minutes (see fault-schedule.test.ts): services SIGKILLed, the soak's own broker
 * stopped, PostgreSQL connections refused and dropped, poison and glitching-agent records, a billing replay in the
 * middle. The soak's JSON line must say that nothing was lost, doubled or stalled and that the finalized invoices
 * equal the oracle.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const soak = fileURLToPath(new URL('./soak/soak.ts', import.meta.url));

describe('pnpm soak --minutes 3 --seed 1', () => {
  it('loses nothing, doubles nothing, stalls nothing, and bills what the oracle bills', async () => {
    const child = spawn(process.execPath, [soak, '--minutes', '3', '--seed', '1'], {
      env: { ...process.env, LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));

    const lines = stdout.trim().split('\n');
    expect(lines, stderr).toHaveLength(1);
    const report = JSON.parse(lines[0]!) as Record<string, unknown>;
    console.info(`soak: ${lines[0]!}`);
    expect(report, stderr).toMatchObject({
      minutes: 3,
      lost: 0,
      doubled: 0,
      stalled_partitions: 0,
      invoices_equal_oracle: true,
      ok: true,
    });
    expect(report['replays'], stderr).toBe(1);
    expect(report['faults'], stderr).toBeGreaterThanOrEqual(10);
    expect(Object.keys(report['faults_by_kind'] as object).length, stderr).toBeGreaterThanOrEqual(9);
    expect(report['poison_dead_lettered'], stderr).toBe(report['poison_injected']);
    expect(report['samples_counted'], stderr).toBe(report['samples_distinct']);
    expect(code, stderr).toBe(0);
  }, 480_000);
});
