/** One operator command: `pnpm tally <group> <name> [args]`. */
export interface Command {
  /** Words that select it, e.g. ['prices', 'publish']. */
  readonly path: readonly string[];
  readonly usage: string;
  readonly summary: string;
  /** Runs with the arguments after the path; returns the exit code. Throw UsageError for bad arguments. */
  readonly run: (args: readonly string[], io: CommandIo) => Promise<number>;
}

/** Where a command writes; tests pass buffers. */
export interface CommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

/** Bad arguments: the dispatcher prints the message and the command's usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
