/**
 * Builds the host agent as one executable (Node's single executable applications), so a hypervisor needs no Node
 * install: esbuild bundles src/host/sea-entry.ts and its dependencies into one CommonJS file (what a SEA runs),
 * Node turns it into a preparation blob (with V8's code cache, for a faster start), and postject injects the blob
 * into a copy of the Node binary that runs this script (the one ./pnpm installed, Node 24). Linux x64 or arm64, as
 * the building machine. Output: services/agent/dist/tally-agent.
 *
 *   ./pnpm --filter @tally/agent build:sea
 */
import { execFileSync } from 'node:child_process';
import { chmod, copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { inject } from 'postject';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dist = `${root}dist`;
const bundle = `${dist}/tally-agent.cjs`;
const blob = `${dist}/tally-agent.blob`;
const executable = `${dist}/tally-agent`;
// The fuse Node's SEA loader looks for (documented in Node's single-executable-applications page).
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/**
 * @tally/kafka's outbox and transactional consumer use PostgreSQL (@tally/db, pg); the agent uses neither, and
 * @tally/db finds its migrations through import.meta.url, which a CommonJS bundle does not have (it would throw at
 * start). An empty module stands in: anything that called into it would fail loudly, and nothing does.
 */
const withoutDatabase: Plugin = {
  name: 'without-database',
  setup(builder) {
    builder.onResolve({ filter: /^(@tally\/db|pg)$/ }, (args) => ({ path: args.path, namespace: 'unused' }));
    builder.onLoad({ filter: /.*/, namespace: 'unused' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
const result = await build({
  entryPoints: [`${root}src/host/sea-entry.ts`],
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  outfile: bundle,
  minify: true,
  legalComments: 'external',
  logLevel: 'warning',
  metafile: true,
  plugins: [withoutDatabase],
});
const config = { main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true };
await writeFile(`${dist}/sea-config.json`, JSON.stringify(config, null, 2));
execFileSync(process.execPath, ['--experimental-sea-config', `${dist}/sea-config.json`], { stdio: 'inherit' });
await copyFile(process.execPath, executable);
await chmod(executable, 0o755);
await inject(executable, 'NODE_SEA_BLOB', await readFile(blob), { sentinelFuse: SEA_FUSE });
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
console.log(
  JSON.stringify({
    executable,
    node: process.version,
    executableSize: mib((await stat(executable)).size),
    bundleSize: mib((await stat(bundle)).size),
    bundleInputs: Object.keys(result.metafile.inputs).length,
  }),
);
