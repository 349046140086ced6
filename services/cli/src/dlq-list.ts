import { listDeadLetters } from '@tally/kafka';
import { z } from 'zod';
import { parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';
import { cliKafka } from './kafka-client.ts';

const args = z.object({
  json: z.boolean().default(false),
  positionals: z.tuple([z.string().min(1)], { error: 'expected the source topic, e.g. traffic.samples.v1' }),
});

/** `tally dlq list <topic> [--json]`: what sits in a topic's dead-letter topic, and why. */
export const dlqList: Command = {
  path: ['dlq', 'list'],
  usage: 'tally dlq list <source-topic> [--json]',
  summary: "list a topic's dead letters with their reason and origin",
  async run(argv, io) {
    const options = parseCommandArgs(argv, { json: { type: 'boolean' } }, args);
    const [topic] = options.positionals;
    const letters = await listDeadLetters(cliKafka(io.env), topic);
    if (options.json) {
      io.out(`${JSON.stringify(letters, null, 2)}\n`);
      return 0;
    }
    for (const letter of letters) {
      io.out(
        `${letter.offset}\t${letter.time}\t${letter.source}\t${letter.errorClass}\t${letter.key ?? ''}\t${letter.errorMessage}\n`,
      );
    }
    io.err(`${letters.length} dead letters for ${topic}\n`);
    return 0;
  },
};
