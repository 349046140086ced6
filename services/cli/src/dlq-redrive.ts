import { redriveDeadLetters } from '@tally/kafka';
import { z } from 'zod';
import { parseCommandArgs } from './args.ts';
import { withCliDb } from './cli-db.ts';
import type { Command } from './command.ts';
import { cliKafka } from './kafka-client.ts';
import { pgRedriveLedger } from './redrive-ledger.ts';

const args = z.object({
  'error-class': z.string().min(1).optional(),
  positionals: z.tuple([z.string().min(1)], { error: 'expected the source topic, e.g. traffic.samples.v1' }),
});

/**
 * `tally dlq redrive <topic> [--error-class C]`: sends dead letters back once their cause is fixed. Each re-driven
 * dead letter is recorded in PostgreSQL by its position, so a filtered redrive leaves the others for later.
 */
export const dlqRedrive: Command = {
  path: ['dlq', 'redrive'],
  usage: 'tally dlq redrive <source-topic> [--error-class ValidationFailed]',
  summary: 'send dead letters not re-driven before back to their source topic (optionally one error class)',
  async run(argv, io) {
    const options = parseCommandArgs(argv, { 'error-class': { type: 'string' } }, args);
    const [topic] = options.positionals;
    const errorClass = options['error-class'];
    const sent = await withCliDb(io.env, (pool) =>
      redriveDeadLetters(
        cliKafka(io.env),
        topic,
        pgRedriveLedger(pool),
        (letter) => errorClass === undefined || letter.errorClass === errorClass,
      ),
    );
    for (const letter of sent)
      io.out(`re-driven ${letter.partition}@${letter.offset}\t${letter.errorClass}\t${letter.key ?? ''}\n`);
    io.out(`${sent.length} dead letters re-driven to ${topic.replace(/\.dlq$/, '')}\n`);
    return 0;
  },
};
