import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, renameSync, rmSync } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Maven Central, or a mirror of it (TALLY_MAVEN_REPOSITORY); every file is checked against its pinned SHA-256. */
export function mavenRepository(env: NodeJS.ProcessEnv = process.env): string {
  return (env['TALLY_MAVEN_REPOSITORY'] || 'https://repo.maven.apache.org/maven2').replace(/\/+$/, '');
}

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * Streams `url` to `dest`, hashing as it goes; `dest` appears only when the SHA-256 matches `sha256` (when given),
 * so an interrupted or tampered download never looks complete. Retries a failed transfer twice.
 */
export async function downloadVerified(url: string, dest: string, sha256: string | undefined): Promise<void> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const partial = `${dest}.${process.pid}.part`; // per process: two test runs may fetch at once
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(600_000) });
      if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}`);
      const hash = createHash('sha256');
      const tee = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          callback(null, chunk);
        },
      });
      await pipeline(Readable.fromWeb(response.body), tee, createWriteStream(partial));
      const actual = hash.digest('hex');
      if (sha256 !== undefined && actual !== sha256) {
        // Not retried: the same bytes would come again.
        rmSync(partial, { force: true });
        throw new ChecksumMismatch(`${url}: SHA-256 ${actual} differs from the pinned ${sha256}`);
      }
      renameSync(partial, dest);
      return;
    } catch (error) {
      rmSync(partial, { force: true });
      if (error instanceof ChecksumMismatch) throw error;
      lastError = error;
    }
  }
  throw new Error(`download failed: ${url}: ${lastError instanceof Error ? lastError.message : String(lastError)}`, {
    cause: lastError,
  });
}

class ChecksumMismatch extends Error {}
