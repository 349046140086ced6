/**
 * Entry of the single executable (packaging/build-sea.ts bundles from here): the host agent, nothing of the
 * simulator. `--check-config` validates the configuration, prints it and exits (0 valid, 1 not).
 */
import { loadHostConfig } from './host-config.ts';
import { main } from './host-main.ts';

const argv = process.argv.slice(2);

async function start(): Promise<void> {
  if (argv.includes('--check-config')) {
    console.log(JSON.stringify(await loadHostConfig(argv, process.env), null, 2));
    return;
  }
  await main(argv);
}

start().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
