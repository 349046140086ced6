// Bench dispatcher: `pnpm bench <name>` runs the exported `run()` of `./<name>.ts`.
import { readdirSync } from 'node:fs';

const here = new URL('.', import.meta.url);
const available = readdirSync(here)
  .filter((file) => file.endsWith('.ts') && file !== 'run.ts' && !file.endsWith('.test.ts') && !file.endsWith('.d.ts'))
  .map((file) => file.slice(0, -'.ts'.length))
  .sort();

const name = process.argv[2];
if (name === undefined || !available.includes(name)) {
  const given = name === undefined ? 'no bench given' : `unknown bench "${name}"`;
  console.error(`${given}\nusage: pnpm bench <name>\navailable: ${available.join(', ') || '(none)'}`);
  process.exit(2);
}

const bench = (await import(new URL(`./${name}.ts`, here).href)) as { run?: unknown };
if (typeof bench.run !== 'function') {
  console.error(`bench "${name}" does not export a run() function`);
  process.exit(2);
}
await (bench.run as () => unknown)();
