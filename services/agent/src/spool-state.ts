import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * Where the spool's unacknowledged records start: the data file of `generation`, from byte `offset`.
 * Compaction writes the next generation's file completely before switching this pointer, so a crash at any
 * point leaves either the old file with its offset or the new one with offset 0, never a mix.
 */
export const spoolState = z.object({
  generation: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
});
export type SpoolState = z.infer<typeof spoolState>;

const STATE_FILE = 'state.json';

export function dataFileName(generation: number): string {
  return `spool-${generation}.jsonl`;
}

/** Parses a data file name back to its generation, or undefined for any other file. */
export function generationOf(fileName: string): number | undefined {
  const match = /^spool-(\d+)\.jsonl$/.exec(fileName);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

export async function readSpoolState(dir: string): Promise<SpoolState> {
  try {
    return spoolState.parse(JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')));
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return { generation: 0, offset: 0 };
    throw error;
  }
}

/** Makes renames and creations in `dir` durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces the state file atomically and durably: write a temp file, fsync it, rename over, fsync the directory. */
export async function writeSpoolState(dir: string, state: SpoolState): Promise<void> {
  const temp = join(dir, `${STATE_FILE}.tmp`);
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(JSON.stringify(state));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, join(dir, STATE_FILE));
  await syncDirectory(dir);
}
