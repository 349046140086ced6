import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadVerified, mavenRepository } from './download.ts';

const body = Buffer.alloc(300_000, 'kafka');
const sha256 = createHash('sha256').update(body).digest('hex');

describe('downloadVerified', () => {
  let server: Server;
  let base: string;
  let requests = 0;
  beforeAll(async () => {
    server = createServer((request, response) => {
      requests += 1;
      if (request.url === '/flaky' && requests % 2 === 1) {
        response.destroy(); // the connection drops once, then the file comes
        return;
      }
      if (request.url === '/missing') response.statusCode = 404;
      response.end(request.url === '/missing' ? undefined : body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('writes the file when its SHA-256 is the pinned one, retrying a dropped transfer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'download-'));
    await downloadVerified(`${base}/flaky`, join(dir, 'a.jar'), sha256);
    expect(readFileSync(join(dir, 'a.jar')).equals(body)).toBe(true);
    expect(readdirSync(dir)).toEqual(['a.jar']);
  });

  it('leaves nothing behind when the bytes differ from the pin, and names both hashes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'download-'));
    const pinned = 'f'.repeat(64);
    await expect(downloadVerified(`${base}/tampered`, join(dir, 'a.jar'), pinned)).rejects.toThrowError(
      new RegExp(`SHA-256 ${sha256} differs from the pinned ${pinned}`),
    );
    expect(existsSync(join(dir, 'a.jar'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('says which URL failed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'download-'));
    await expect(downloadVerified(`${base}/missing`, join(dir, 'a.jar'), sha256)).rejects.toThrowError(
      /download failed: http:\/\/127\.0\.0\.1:\d+\/missing: HTTP 404/,
    );
  });

  it('uses Maven Central unless a mirror is set', () => {
    expect(mavenRepository({})).toBe('https://repo.maven.apache.org/maven2');
    expect(mavenRepository({ TALLY_MAVEN_REPOSITORY: 'https://mirror.example/maven2/' })).toBe(
      'https://mirror.example/maven2',
    );
  });
});
