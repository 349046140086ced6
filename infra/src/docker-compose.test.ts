import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const compose = fileURLToPath(new URL('../docker-compose.yml', import.meta.url));

describe('docker-compose.yml', () => {
  it('publishes every port on 127.0.0.1 only (the local stack has no authentication)', async () => {
    const text = await readFile(compose, 'utf8');
    const mappings = [...text.matchAll(/^\s*ports:\s*\[([^\]]*)\]/gm)].flatMap((m) =>
      (m[1] ?? '').split(',').map((entry) => entry.trim().replace(/^['"]|['"]$/g, '')),
    );
    expect(mappings.length).toBeGreaterThanOrEqual(3);
    for (const mapping of mappings) expect(mapping).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    // No block-style port lists that the check above would not see.
    expect(text).not.toMatch(/^\s*ports:\s*$/m);
  });
});
