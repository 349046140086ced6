import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Repository root, found from this file so that commands work from any folder. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** Downloaded artifacts and server data; git-ignored, kept between runs. */
export const cacheDir = join(repoRoot, '.cache');
/**
 * Pid files, logs and data of the servers the project started. TALLY_RUN_DIR runs a second stack beside the first
 * (with other ports): its servers, data and demo logs then live there.
 */
export const runDir = process.env['TALLY_RUN_DIR'] || join(cacheDir, 'run');
export const schemasDir = join(repoRoot, 'schemas');
