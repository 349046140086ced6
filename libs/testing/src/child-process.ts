import { spawn, type ChildProcess } from 'node:child_process';

export interface ChildHandle {
  process: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  output(): string;
}

/** Starts a TypeScript entry point under this Node, collecting its output for failure messages. */
export function startNodeChild(entry: string, env: NodeJS.ProcessEnv): ChildHandle {
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = boundedOutput();
  child.stdout.on('data', (chunk: Buffer) => output.append(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => output.append(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { process: child, exited, output: () => output.text() };
}

const HEAD_CHARS = 200_000;
const TAIL_CHARS = 20_000;

/**
 * A process's output kept within bounds: its beginning and its end. The beginning matters as much as the end: a
 * start-up marker ("metering started") must still be found after a flood of later lines (thousands of dead-letter
 * warnings) would have pushed it out of a tail-only buffer, or a supervisor waits for it in vain.
 */
export function boundedOutput(headChars = HEAD_CHARS, tailChars = TAIL_CHARS) {
  let head = '';
  let tail = '';
  let dropped = false;
  return {
    append(text: string): void {
      if (head.length < headChars) {
        const room = headChars - head.length;
        head += text.slice(0, room);
        text = text.slice(room);
      }
      if (text.length === 0) return;
      const joined = tail + text;
      if (joined.length > tailChars) dropped = true;
      tail = joined.slice(-tailChars);
    },
    text(): string {
      return dropped ? `${head}\n… (output cut) …\n${tail}` : head + tail;
    },
  };
}

/** Polls until `check` returns true or the timeout passes; returns whether it did. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return check();
}
