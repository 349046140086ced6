import { demoUsage, parseDemoOptions } from './demo-options.ts';
import { runDemoPipeline } from './pipeline.ts';
import { prepareTopicsAndSchemas } from './prepare.ts';
import { loadStackConfig } from './stack-config.ts';
import { stackLogger } from './stack-logger.ts';
import { stackDown, stackStatus, stackUp } from './stack.ts';

const usage = `usage: pnpm stack <command>
  up       start Kafka, the schema registry and check PostgreSQL; apply topics and schemas (idempotent)
  down     stop the servers this project started
  status   say what answers
and: pnpm start [options]   the stack, then the whole pipeline on a simulated fleet, until Ctrl-C
     ${demoUsage.replace('usage: ', '')}`;

async function main(command: string | undefined, rest: string[]): Promise<number> {
  const log = stackLogger('stack');
  const config = loadStackConfig();
  switch (command) {
    case 'up': {
      const endpoints = await stackUp(config, log);
      await prepareTopicsAndSchemas(endpoints, log);
      log.info(endpoints, 'local stack is up');
      return 0;
    }
    case 'start': {
      const options = parseDemoOptions(rest);
      const endpoints = await stackUp(config, log);
      await prepareTopicsAndSchemas(endpoints, log);
      log.info(endpoints, 'local stack is up');
      if (options.stackOnly) return 0;
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      await runDemoPipeline(endpoints, config, options, log, stop.signal);
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

main(process.argv[2], process.argv.slice(3)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
