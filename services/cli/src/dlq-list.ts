import { dlqTopicName, listDeadLetters, positionKey } from '@tally/kafka';
import { z } from 'zod';
import { parseCommandArgs } from './args.ts';
import { withCliDb } from './cli-db.ts';
import type { Command } from './command.ts';
import { cliKafka } from './kafka-client.ts';
import { pgRedriveLedger } from './redrive-ledger.ts';

const args = z.object({
  json: z.boolean().default(false),
  positionals: z.tuple([z.string().min(1)], { error: 'expected the source topic, e.g. traffic.samples.v1' }),
});

/** `tally dlq list <topic> [--json]`: what sits in a topic's dead-letter topic, why, and whether it was re-driven. */
export const dlqList: Command = {
  path: ['dlq', 'list'],
  usage: 'tally dlq list <source-topic> [--json]',
  summary: "list a topic's dead letters with their reason, origin and whether they were re-driven",
  async run(argv, io) {
    const options = parseCommandArgs(argv, { json: { type: 'boolean' } }, args);
    const [topic] = options.positionals;
    const letters = await listDeadLetters(cliKafka(io.env), topic);
    // The ledger is in PostgreSQL; without it the list still shows what the topic holds, re-driven unknown.
    const done = await withCliDb(io.env, (pool) => pgRedriveLedger(pool).redriven(dlqTopicName(topic))).catch(
      (error: unknown) => {
        io.err(`re-driven state unknown: ${error instanceof Error ? error.message : String(error)}\n`);
        return undefined;
      },
    );
    const rows = letters.map((letter) => ({
      ...letter,
      redriven: done === undefined ? null : done.has(positionKey(letter)),
    }));
    if (options.json) {
      io.out(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    io.out('partition\toffset\ttime\tsource\terror class\tre-driven\tkey\treason\n');
    for (const row of rows) {
      io.out(
        `${row.partition}\t${row.offset}\t${row.time}\t${row.source}\t${row.errorClass}\t${row.redriven === null ? '?' : row.redriven ? 'yes' : 'no'}\t${row.key ?? ''}\t${row.errorMessage}\n`,
      );
    }
    const waiting = rows.filter((row) => row.redriven !== true).length;
    io.err(`${rows.length} dead letters for ${topic}, ${waiting} not re-driven\n`);
    return 0;
  },
};
