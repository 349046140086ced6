import { createLogger } from '@tally/log';
import { prepareTopicsAndSchemas } from './prepare.ts';
import { loadStackConfig } from './stack-config.ts';
import { stackDown, stackStatus, stackUp } from './stack.ts';

const usage = `usage: pnpm stack <command>
  up       start Kafka, the schema registry and check PostgreSQL; apply topics and schemas (idempotent)
  down     stop the servers this project started
  status   say what answers`;

async function main(command: string | undefined): Promise<number> {
  const log = createLogger('stack');
  const config = loadStackConfig();
  switch (command) {
    case 'up':
    case 'start': {
      const endpoints = await stackUp(config, log);
      await prepareTopicsAndSchemas(endpoints, log);
      log.info(endpoints, 'local stack is up');
      return 0;
    }
    case 'down':
    case 'stop':
      await stackDown(log);
      return 0;
    case 'status':
      return (await stackStatus(config, log)) ? 0 : 1;
    default:
      process.stderr.write(`${usage}\n`);
      return command === undefined ? 0 : 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
