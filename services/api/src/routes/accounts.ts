import { ANY_ROLE } from '@tally/cli/tokens';
import { quoteIdentifier } from '@tally/db';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../deps.ts';
import { problemResponses } from '../schemas.ts';

const accountMatch = z.object({
  accountId: z.string(),
  name: z.string().nullable(),
  currency: z.string(),
  timeZone: z.string().nullable(),
  /** Set when the account was found as the owner of this instance. */
  matchedInstanceId: z.string().nullable(),
});

/** Who am I (any token), and finding an account by id, name or one of its instances. */
export function accountRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const billing = quoteIdentifier(deps.schemas.billing);
  const metering = quoteIdentifier(deps.schemas.metering);

  api.get(
    '/v1/me',
    {
      config: { roles: ANY_ROLE },
      schema: {
        summary: "The caller's token name and role",
        tags: ['tokens'],
        response: { 200: z.object({ name: z.string(), role: z.string() }), ...problemResponses },
      },
    },
    (request) => ({ name: request.token!.name, role: request.token!.role }),
  );

  api.get(
    '/v1/accounts',
    {
      config: { roles: ['support', 'finance'] },
      schema: {
        summary: 'Find accounts by id or name prefix, or as the owner of an instance id',
        tags: ['accounts'],
        querystring: z.object({
          q: z.string().min(1).max(200),
          limit: z.coerce.number().int().min(1).max(100).default(20),
        }),
        response: { 200: z.object({ items: z.array(accountMatch) }), ...problemResponses },
      },
    },
    async (request) => {
      const { q, limit } = request.query;
      // LIKE metacharacters in the query are literal: support types ids, not patterns.
      const prefix = `${q.replaceAll('\\', '\\\\').replaceAll('%', '\\%').replaceAll('_', '\\_')}%`;
      const result = await deps.read.query<{
        account_id: string;
        name: string | null;
        currency: string;
        time_zone: string | null;
        matched_instance_id: string | null;
      }>(
        `WITH owner AS (
           SELECT record->>'accountId' AS account_id, instance_id FROM ${metering}.inventory WHERE instance_id = $1
         )
         SELECT a.account_id, a.record->>'name' AS name, a.currency, a.record->>'timeZone' AS time_zone,
                o.instance_id AS matched_instance_id
         FROM ${billing}.billing_accounts a LEFT JOIN owner o ON o.account_id = a.account_id
         WHERE a.account_id = $1 OR o.instance_id IS NOT NULL OR a.account_id LIKE $2 OR a.record->>'name' ILIKE $2
         ORDER BY (a.account_id = $1 OR o.instance_id IS NOT NULL) DESC, a.account_id
         LIMIT $3`,
        [q, prefix, limit],
      );
      return {
        items: result.rows.map((row) => ({
          accountId: row.account_id,
          name: row.name,
          currency: row.currency,
          timeZone: row.time_zone,
          matchedInstanceId: row.matched_instance_id,
        })),
      };
    },
  );
}
