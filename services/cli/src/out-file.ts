import { writeFile } from 'node:fs/promises';
import { UsageError } from './command.ts';

/**
 * Writes a command's `--out` file. An existing file is kept unless `force`: an export pointed at the wrong path must
 * not silently replace last month's, or anything else. Created atomically with O_EXCL, so a file appearing meanwhile
 * is not overwritten either.
 *
 * @example
 * await writeOutFile('march.csv', csv, false); // UsageError if march.csv exists
 */
export async function writeOutFile(path: string, text: string | Uint8Array, force: boolean): Promise<void> {
  try {
    await writeFile(path, text, { flag: force ? 'w' : 'wx' });
  } catch (error) {
    if ((error as { code?: string }).code === 'EEXIST') {
      throw new UsageError(`${path} exists: pass --force to overwrite it`);
    }
    throw error;
  }
}
