import { consumerLag } from '@tally/kafka';
import { z } from 'zod';
import { parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';
import { cliKafka } from './kafka-client.ts';

const args = z.object({
  positionals: z.tuple([z.string().min(1), z.string().min(1)], {
    error: 'expected <group> <topic>, e.g. metering traffic.samples.v1',
  }),
});

/** `tally lag <group> <topic>`: records each partition still has to go for a consumer group. */
export const lag: Command = {
  path: ['lag'],
  usage: 'tally lag <group> <topic>',
  summary: "a consumer group's lag per partition",
  async run(argv, io) {
    const [group, topic] = parseCommandArgs(argv, {}, args).positionals;
    const admin = cliKafka(io.env).admin();
    await admin.connect();
    try {
      const rows = await consumerLag(admin, group, topic);
      io.out('partition\tcommitted\tend\tlag\n');
      for (const row of rows) io.out(`${row.partition}\t${row.committed ?? '-'}\t${row.end}\t${row.lag}\n`);
      const total = rows.reduce((sum, row) => sum + BigInt(row.lag), 0n);
      io.err(`${group} on ${topic}: ${total} records behind\n`);
      return 0;
    } finally {
      await admin.disconnect();
    }
  },
};
