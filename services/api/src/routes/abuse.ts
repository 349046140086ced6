import { decisionOf, type AbuseState } from '@tally/abuse';
import { quoteIdentifier } from '@tally/db';
import { abuseDecision } from '@tally/records';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../deps.ts';
import { HttpProblem } from '../problem.ts';
import { pathId, problemResponses } from '../schemas.ts';

const explanation = z
  .object({
    decision: abuseDecision.meta({ id: 'AbuseDecision' }),
    pendingClearances: z.array(
      z.object({ id: z.string(), clearedBy: z.string(), reason: z.string(), createdAt: z.string() }),
    ),
  })
  .meta({ id: 'AbuseExplanation' });

/** Support's view of an account's abuse state: `tally abuse explain --json`, read from the same tables. */
export function abuseRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const schema = quoteIdentifier(deps.schemas.abuse);
  api.get(
    '/v1/accounts/:accountId/abuse',
    {
      config: { roles: ['support'] },
      schema: {
        summary: "An account's abuse status, every transition with its evidence, and clearances not yet applied",
        tags: ['abuse'],
        params: z.object({ accountId: pathId }),
        response: { 200: explanation, ...problemResponses },
      },
    },
    async (request) => {
      const { accountId } = request.params;
      const state = await deps.read.query<{ state: AbuseState }>(
        `SELECT state FROM ${schema}.abuse_states WHERE account_id = $1`,
        [accountId],
      );
      const row = state.rows[0];
      if (row === undefined)
        throw new HttpProblem(404, `abuse has decided nothing about ${accountId} (no facts about it have closed yet)`);
      // Clearances recorded for the open hour or later: made, not yet applied (as tally abuse explain lists them).
      const pending = await deps.read.query<{ id: string; cleared_by: string; reason: string; created_at: Date }>(
        `SELECT c.id::text, c.cleared_by, c.reason, c.created_at FROM ${schema}.abuse_clearances c
         LEFT JOIN ${schema}.abuse_states s USING (account_id)
         WHERE c.account_id = $1 AND (s.open_hour IS NULL OR c.hour >= s.open_hour) ORDER BY c.id`,
        [accountId],
      );
      return {
        decision: decisionOf(row.state),
        pendingClearances: pending.rows.map((c) => ({
          id: c.id,
          clearedBy: c.cleared_by,
          reason: c.reason,
          createdAt: c.created_at.toISOString(),
        })),
      };
    },
  );
}
