import { userInfo } from 'node:os';
import { id } from '@tally/records';
import { z } from 'zod';
import { withAbuseDb } from './abuse-db.ts';
import { parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';

const args = z.object({
  reason: z.string().trim().min(1, 'say why (--reason)').max(500),
  by: z.string().trim().min(1).max(100).optional(),
  positionals: z.tuple([id]),
});

/**
 * `tally abuse clear <account> --reason ... [--by name]`: records a person's decision. It is an event of the first
 * hour abuse has not closed yet, so it applies when the watermark passes that hour, in the same place on a replay.
 */
export const abuseClear: Command = {
  path: ['abuse', 'clear'],
  usage: 'tally abuse clear <account> --reason "..." [--by name]',
  summary: "records a person's decision: the account goes to cleared (resumed if suspended) once the open hour closes",
  async run(argv, io) {
    const options = parseCommandArgs(argv, { reason: { type: 'string' }, by: { type: 'string' } }, args);
    const [accountId] = options.positionals;
    const by = options.by ?? userInfo().username;
    return withAbuseDb(io.env, async (pool) => {
      const inserted = await pool.query<{ id: string; hour: string | null }>(
        `INSERT INTO abuse_clearances (account_id, hour, cleared_by, reason)
         SELECT $1, GREATEST(w.hour, COALESCE(s.open_hour, w.hour)), $2, $3
         FROM abuse_watermark w LEFT JOIN abuse_states s ON s.account_id = $1
         RETURNING id, hour`,
        [accountId, by, options.reason],
      );
      const row = inserted.rows[0];
      if (row === undefined) {
        io.err('abuse has not closed any hour yet (no watermark): nothing to clear against\n');
        return 1;
      }
      const hour = new Date(Number(row.hour) * 3_600_000).toISOString();
      io.out(`clearance #${row.id} recorded for ${accountId}; it applies once the hour ${hour} closes\n`);
      return 0;
    });
  },
};
