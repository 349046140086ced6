import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@tally/log';
import { backoffDelay } from '@tally/kafka';

export interface ServiceSpec {
  name: string;
  /** A TypeScript entry point run by this Node. */
  entry: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** A one-shot job (the simulator producing a past period) is not restarted after a clean exit. */
  oneShot?: boolean;
}

export interface ServiceState {
  name: string;
  pid: number | undefined;
  restarts: number;
  lastExit: number | string | null | undefined;
  logFile: string;
  running: boolean;
  done: boolean;
}

/**
 * Runs services as child processes; restarts one that crashes (with backoff) and says so; stops all of
 * them with SIGTERM (then SIGKILL after the grace period) when `stop` is called.
 */
export class Supervisor {
  private readonly children = new Map<string, ChildProcess>();
  private readonly states = new Map<string, ServiceState>();
  private stopping = false;
  private readonly log: Logger;
  private readonly logDir: string;

  constructor(log: Logger, logDir: string) {
    this.log = log;
    this.logDir = logDir;
    mkdirSync(logDir, { recursive: true });
  }

  start(spec: ServiceSpec): void {
    const logFile = join(this.logDir, `${spec.name}.log`);
    this.states.set(spec.name, {
      name: spec.name,
      pid: undefined,
      restarts: 0,
      lastExit: undefined,
      logFile,
      running: false,
      done: false,
    });
    this.launch(spec);
  }

  status(): ServiceState[] {
    return [...this.states.values()];
  }

  private launch(spec: ServiceSpec): void {
    const state = this.states.get(spec.name)!;
    const out = createWriteStream(state.logFile, { flags: 'a' });
    const child = spawn(process.execPath, [spec.entry, ...(spec.args ?? [])], {
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(out);
    child.stderr.pipe(out);
    this.children.set(spec.name, child);
    state.pid = child.pid;
    state.running = true;
    child.on('exit', (code, signal) => {
      state.running = false;
      state.lastExit = code ?? signal;
      this.children.delete(spec.name);
      if (this.stopping) return;
      if (code === 0 && spec.oneShot) {
        state.done = true;
        this.log.info({ service: spec.name }, 'finished');
        return;
      }
      state.restarts += 1;
      const delay = backoffDelay(Math.min(state.restarts, 6), { initialMs: 500, maxMs: 15_000 }, () => 1);
      this.log.warn(
        { service: spec.name, exit: state.lastExit, restarts: state.restarts, delayMs: delay, log: state.logFile },
        'service exited; restarting',
      );
      void sleep(delay).then(() => {
        if (!this.stopping) this.launch(spec);
      });
    });
  }

  async stop(graceMs = 15_000): Promise<void> {
    this.stopping = true;
    const exits = [...this.children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
        }),
    );
    await Promise.all(exits);
  }
}
