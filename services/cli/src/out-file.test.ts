import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from './command.ts';
import { writeOutFile } from './out-file.ts';

const dir = await mkdtemp(join(tmpdir(), 'tally-out-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('writeOutFile', () => {
  it('creates a new file', async () => {
    const path = join(dir, 'new.csv');
    await writeOutFile(path, 'a\n', false);
    expect(await readFile(path, 'utf8')).toBe('a\n');
  });

  it('refuses to overwrite an existing file without force, and leaves it as it was', async () => {
    const path = join(dir, 'existing.csv');
    await writeFile(path, 'last month\n');
    await expect(writeOutFile(path, 'b\n', false)).rejects.toThrowError(UsageError);
    await expect(writeOutFile(path, 'b\n', false)).rejects.toThrowError(/--force/);
    expect(await readFile(path, 'utf8')).toBe('last month\n');
  });

  it('overwrites with force', async () => {
    const path = join(dir, 'forced.csv');
    await writeFile(path, 'old\n');
    await writeOutFile(path, 'new\n', true);
    expect(await readFile(path, 'utf8')).toBe('new\n');
  });
});
