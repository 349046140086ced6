// Runs every `ts` block of the README as a Node script (type stripping), so the examples stay
// true: `console.log(expr); // => value` (or `// => value` on the next line) becomes an assertion.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import * as stream from './index.ts';

const run = promisify(execFile);
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const index = new URL('./index.ts', import.meta.url).href;
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
const dir = mkdtempSync(join(tmpdir(), 'tally-stream-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function toScript(block: string): { script: string; checks: number } {
  let checks = 0;
  const body = block
    .replaceAll("from '@tally/stream'", `from '${index}'`)
    // console.log(expr); // => value   (the value may also sit alone on the next line)
    .replace(/console\.log\(([\s\S]*?)\);[ \t]*(?:\n[ \t]*)?\/\/ => (.*)$/gm, (_, expr: string, value: string) => {
      checks++;
      return `__check(${expr}, ${value});`;
    });
  return { script: `import { deepStrictEqual as __check } from 'node:assert/strict';\n${body}`, checks };
}

describe('README', () => {
  it('has examples', () => {
    expect(blocks.length).toBeGreaterThan(10);
  });

  it('shows every exported function in an example', () => {
    const imported = new Set(
      blocks.flatMap((b) =>
        [...b.matchAll(/import \{([^}]*)\} from '@tally\/stream'/g)].flatMap((m) =>
          (m[1] ?? '').split(',').map((s) => s.trim()),
        ),
      ),
    );
    const functions = Object.entries(stream)
      .filter(([name, value]) => typeof value === 'function' && name !== 'Reduced')
      .map(([name]) => name);
    expect(functions.filter((name) => !imported.has(name))).toEqual([]);
  });

  it.each(blocks.map((block, i) => [i, block] as const))(
    'example %i runs and prints what it says',
    async (i, block) => {
      const { script, checks } = toScript(block);
      expect(checks).toBeGreaterThan(0);
      expect(script).not.toContain('console.log('); // every printed value is checked
      const file = join(dir, `example-${i}.mts`);
      writeFileSync(file, script);
      await run(process.execPath, ['--no-warnings', file], { timeout: 30_000 });
    },
  );
});
