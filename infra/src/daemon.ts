import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runDir } from './paths.ts';

/** A background server the project started, tracked by a pid file under .cache/run/<name>/. */
export interface Daemon {
  name: string;
  dir: string;
  logFile: string;
  /** What asks it to stop (PostgreSQL: SIGINT, a fast shutdown that does not wait for clients to leave). */
  stopSignal: NodeJS.Signals;
}

export function daemon(name: string, stopSignal: NodeJS.Signals = 'SIGTERM'): Daemon {
  const dir = join(runDir, name);
  return { name, dir, logFile: join(dir, 'process.log'), stopSignal };
}

/** Another user to run a server as (PostgreSQL refuses to run as root). */
export interface RunAs {
  uid: number;
  gid: number;
}

function pidFile(d: Daemon): string {
  return join(d.dir, 'pid');
}

export function runningPid(d: Daemon): number | undefined {
  if (!existsSync(pidFile(d))) return undefined;
  const pid = Number(readFileSync(pidFile(d), 'utf8'));
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Starts the command detached from this process, output to the daemon's log, so it outlives the CLI. */
export function startDaemon(
  d: Daemon,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  runAs?: RunAs,
): number {
  mkdirSync(d.dir, { recursive: true });
  const out = openSync(d.logFile, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out], env, cwd: d.dir, ...runAs });
  if (child.pid === undefined) throw new Error(`${d.name}: ${command} did not start`);
  child.unref();
  writeFileSync(pidFile(d), String(child.pid));
  return child.pid;
}

/** Its stop signal (SIGTERM), then SIGKILL after the grace period; leaves no process behind. */
export async function stopDaemon(d: Daemon, graceMs = 20_000): Promise<boolean> {
  const pid = runningPid(d);
  if (pid === undefined) {
    rmSync(pidFile(d), { force: true });
    return false;
  }
  process.kill(pid, d.stopSignal);
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (runningPid(d) === undefined) break;
    await sleep(200);
  }
  if (runningPid(d) !== undefined) process.kill(pid, 'SIGKILL');
  while (runningPid(d) !== undefined) await sleep(100);
  rmSync(pidFile(d), { force: true });
  return true;
}
