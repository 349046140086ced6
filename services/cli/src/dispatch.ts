import { UsageError, type Command, type CommandIo } from './command.ts';

function help(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.usage.length));
  return `usage: pnpm tally <command>\n\n${commands.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`).join('\n')}\n`;
}

/**
 * Finds the command whose path starts the arguments and runs it. Unknown commands and bad arguments print usage
 * and return 2; other errors print their message and return 1.
 *
 * @example
 * await dispatch([pricesPublish], ['prices', 'publish', 'book.yaml'], io); // 0
 */
export async function dispatch(commands: readonly Command[], argv: readonly string[], io: CommandIo): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help') {
    io.out(help(commands));
    return argv.length === 0 ? 2 : 0;
  }
  const command = commands.find((c) => c.path.every((word, i) => argv[i] === word));
  if (command === undefined) {
    io.err(`unknown command: ${argv.join(' ')}\n\n${help(commands)}`);
    return 2;
  }
  try {
    return await command.run(argv.slice(command.path.length), io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\nusage: ${command.usage}\n`);
      return 2;
    }
    io.err(`${command.path.join(' ')} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
