import { apiRole, createToken, listTokens, revokeToken, tokenName, TokenNameTaken } from '@tally/cli/tokens';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../deps.ts';
import { HttpProblem, problemSchema } from '../problem.ts';
import { problemResponses } from '../schemas.ts';

const ADMIN = ['admin'] as const;
const tokenInfo = z
  .object({
    id: z.string(),
    name: z.string(),
    role: apiRole,
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'Token' });

/** Admins make, list and revoke tokens, as `tally tokens` does; the secret is returned once, at creation. */
export function tokenRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get(
    '/v1/tokens',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'Every token, live and revoked (never a secret)',
        tags: ['tokens'],
        response: { 200: z.object({ items: z.array(tokenInfo) }), ...problemResponses },
      },
    },
    async () => ({ items: await listTokens(deps.tokens) }),
  );
  api.post(
    '/v1/tokens',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'Make a token; its secret is in this response only',
        tags: ['tokens'],
        body: z.object({ name: tokenName, role: apiRole }),
        response: {
          201: tokenInfo.extend({ token: z.string() }),
          ...problemResponses,
          409: problemSchema,
        },
      },
    },
    async (request, reply) => {
      try {
        const made = await createToken(deps.tokens, request.body.name, request.body.role);
        request.log.info({ id: made.id, name: made.name, role: made.role }, 'token created');
        return await reply.code(201).send(made);
      } catch (error) {
        if (error instanceof TokenNameTaken) throw new HttpProblem(409, error.message);
        throw error;
      }
    },
  );
  api.delete(
    '/v1/tokens/:id',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'Revoke a live token (by id): it stops working with the next request',
        tags: ['tokens'],
        params: z.object({ id: z.string().min(1).max(64) }),
        response: { 200: tokenInfo, ...problemResponses },
      },
    },
    async (request) => {
      const revoked = await revokeToken(deps.tokens, request.params.id);
      if (revoked === undefined) throw new HttpProblem(404, `no live token ${request.params.id}`);
      request.log.info({ id: revoked.id, name: revoked.name }, 'token revoked');
      return revoked;
    },
  );
}
