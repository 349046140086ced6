import { decisionOf, explainText, type AbuseState } from '@tally/abuse';
import { id } from '@tally/records';
import { z } from 'zod';
import { withAbuseDb } from './abuse-db.ts';
import { parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';

const args = z.object({
  json: z.boolean().default(false),
  positionals: z.tuple([id]),
});

/** `tally abuse explain <account> [--json]`: the account's abuse status, its transitions and their evidence. */
export const abuseExplain: Command = {
  path: ['abuse', 'explain'],
  usage: 'tally abuse explain <account> [--json]',
  summary: "an account's abuse status and every transition with its evidence (ABUSE_DB_SCHEMA, default abuse)",
  async run(argv, io) {
    const options = parseCommandArgs(argv, { json: { type: 'boolean' } }, args);
    const [accountId] = options.positionals;
    return withAbuseDb(io.env, async (pool) => {
      const row = await pool.query<{ state: AbuseState }>('SELECT state FROM abuse_states WHERE account_id = $1', [
        accountId,
      ]);
      const pending = await pool.query<{ id: string; cleared_by: string; reason: string; created_at: Date }>(
        `SELECT c.id, c.cleared_by, c.reason, c.created_at FROM abuse_clearances c
         LEFT JOIN abuse_states s USING (account_id)
         WHERE c.account_id = $1 AND (s.open_hour IS NULL OR c.hour >= s.open_hour) ORDER BY c.id`,
        [accountId],
      );
      const state = row.rows[0]?.state;
      if (options.json) {
        const decision = state === undefined ? null : decisionOf(state);
        io.out(`${JSON.stringify({ decision, pendingClearances: pending.rows }, null, 2)}\n`);
        return state === undefined ? 1 : 0;
      }
      if (state === undefined) {
        io.err(`abuse has decided nothing about account ${accountId} (no facts about it have closed yet)\n`);
        return 1;
      }
      io.out(explainText(decisionOf(state)));
      for (const c of pending.rows) {
        io.out(`pending clearance #${c.id} by ${c.cleared_by} (${c.created_at.toISOString()}): ${c.reason}\n`);
      }
      return 0;
    });
  },
};
