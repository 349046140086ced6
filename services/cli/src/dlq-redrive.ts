import { redriveDeadLetters } from '@tally/kafka';
import { z } from 'zod';
import { parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';
import { cliKafka } from './kafka-client.ts';

const args = z.object({
  'error-class': z.string().min(1).optional(),
  positionals: z.tuple([z.string().min(1)], { error: 'expected the source topic, e.g. traffic.samples.v1' }),
});

/** `tally dlq redrive <topic> [--error-class C]`: sends dead letters back once their cause is fixed. */
export const dlqRedrive: Command = {
  path: ['dlq', 'redrive'],
  usage: 'tally dlq redrive <source-topic> [--error-class ValidationFailed]',
  summary: 'send dead letters not re-driven before back to their source topic (optionally one error class)',
  async run(argv, io) {
    const options = parseCommandArgs(argv, { 'error-class': { type: 'string' } }, args);
    const [topic] = options.positionals;
    const errorClass = options['error-class'];
    const count = await redriveDeadLetters(
      cliKafka(io.env),
      topic,
      (letter) => errorClass === undefined || letter.errorClass === errorClass,
    );
    io.out(`${count} dead letters re-driven to ${topic}\n`);
    return 0;
  },
};
