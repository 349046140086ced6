import { loadConfig } from '@tally/config';
import { createPool } from '@tally/db';
import { createRegistry } from '@tally/kafka';
import { meteringEnv } from '@tally/metering/config';
import { z } from 'zod';
import { parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';
import { cliKafka } from './kafka-client.ts';
import { lateFilterArgs, lateFilterOptions } from './late-args.ts';
import { selectLate, summarizeLate } from './late-summary.ts';
import { loadOwners, loadReplayed, readLateRecords } from './late-topic.ts';

const args = z.object({
  ...lateFilterArgs,
  json: z.boolean().default(false),
  positionals: z.array(z.string()).max(0, 'no positional arguments expected'),
});

/** `tally late list [--account A] [--from t] [--to t] [--json]`: what the late-data topic holds, by account and hour. */
export const lateList: Command = {
  path: ['late', 'list'],
  usage: 'tally late list [--account A] [--from t] [--to t] [--json]',
  summary: 'late samples metering could not count, by account and hour (records, distinct samples, reasons)',
  async run(argv, io) {
    const options = parseCommandArgs(argv, { ...lateFilterOptions, json: { type: 'boolean' } }, args);
    const config = loadConfig(meteringEnv, io.env);
    const pool = createPool(config.DATABASE_URL, { schema: config.DB_SCHEMA, max: 1, applicationName: 'tally-cli' });
    try {
      const topic = config.METERING_LATE_TOPIC;
      const { records, undecodable } = await readLateRecords(
        cliKafka(io.env),
        createRegistry(config.SCHEMA_REGISTRY_URL),
        topic,
      );
      const owners = await loadOwners(
        pool,
        records.map((r) => r.late.sample.instanceId),
      );
      const groups = summarizeLate(selectLate(records, owners, options), owners, await loadReplayed(pool, topic));
      if (options.json) {
        io.out(`${JSON.stringify({ topic, undecodable, groups }, null, 2)}\n`);
        return 0;
      }
      io.out('account\thour\trecords\tsamples\treplayed\treasons\n');
      for (const g of groups) {
        const reasons = Object.entries(g.reasons)
          .map(([reason, n]) => `${n}× ${reason}`)
          .join('; ');
        io.out(
          `${g.accountId ?? '(unknown instance)'}\t${g.hourStart}\t${g.records}\t${g.samples}\t${g.replayed}\t${reasons}\n`,
        );
      }
      const total = groups.reduce((sum, g) => sum + g.records, 0);
      io.err(
        `${total} late records in ${groups.length} account-hours on ${topic}${undecodable > 0 ? `; ${undecodable} records do not decode` : ''}\n`,
      );
      return 0;
    } finally {
      await pool.end();
    }
  },
};
