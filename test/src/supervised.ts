import { eventually, type ChildHandle } from '@tally/testing';

/**
 * A service child process under supervision, like the supervisor of `pnpm start`: `keepUp()` starts it again
 * when it exited on its own; `kill()` SIGKILLs it and starts a new one; `stop()` ends it cleanly (SIGTERM).
 */
export class Supervised {
  child: ChildHandle;
  /** Restarts after the process exited on its own (it gave up, e.g. its broker or database was gone). */
  restarts = 0;
  kills = 0;
  private busy = false;
  private lastExited = '';
  private start: () => ChildHandle;
  readonly name: string;

  constructor(name: string, start: () => ChildHandle) {
    this.name = name;
    this.start = start;
    this.child = start();
  }

  get running(): boolean {
    return this.child.process.exitCode === null && this.child.process.signalCode === null;
  }

  keepUp(): void {
    if (this.busy || this.running) return;
    this.restarts += 1;
    this.lastExited = `${this.name} exited with ${this.child.process.exitCode ?? this.child.process.signalCode}:\n${this.child.output()}`;
    this.child = this.start();
  }

  /** The output of the running process, after that of the last one that exited on its own (why it gave up). */
  output(): string {
    return this.lastExited === ''
      ? this.child.output()
      : `${this.lastExited}\n--- restarted ---\n${this.child.output()}`;
  }

  async kill(): Promise<void> {
    this.busy = true;
    try {
      if (this.running) {
        this.child.process.kill('SIGKILL');
        await this.child.exited;
      }
      this.kills += 1;
      this.child = this.start();
    } finally {
      this.busy = false;
    }
  }

  /** SIGTERM once it is up (a signal during module loading would kill it before its handlers exist). */
  async stop(startedMarker: string): Promise<number | null> {
    this.busy = true;
    await eventually(() => Promise.resolve(this.child.output().includes(startedMarker)), 60_000);
    if (this.running) this.child.process.kill('SIGTERM');
    return this.child.exited;
  }

  /** Stops it cleanly and starts it again with another start function (a new configuration). */
  async replace(startedMarker: string, start: () => ChildHandle): Promise<number | null> {
    const code = await this.stop(startedMarker);
    this.start = start;
    this.child = start();
    this.busy = false;
    return code;
  }
}
