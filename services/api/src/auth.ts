import type { Queryable } from '@tally/db';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from './problem.ts';
import { mayUse, type ApiRole } from '@tally/cli/tokens';
import { findLiveToken, type TokenInfo } from '@tally/cli/tokens';
import { looksLikeToken } from '@tally/cli/tokens';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles that may call the route; a route without it is public (docs, health). */
    roles?: readonly ApiRole[];
  }
  interface FastifyRequest {
    /** The caller's token once authenticated. */
    token?: TokenInfo;
  }
}

/** The bearer secret of a request, or undefined when there is no well-formed Authorization header. */
export function bearerOf(header: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * The onRequest hook: a route with roles needs a live token (401 otherwise) whose role is among them (403). The
 * request's logger is bound to the token's name and role, so every later line (and the response line) says who
 * asked; the token itself is never logged (pino redacts the authorization header).
 */
export function authenticate(tokens: Queryable) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const roles = request.routeOptions.config.roles;
    if (roles === undefined) return;
    const secret = bearerOf(request.headers.authorization);
    const token = secret !== undefined && looksLikeToken(secret) ? await findLiveToken(tokens, secret) : undefined;
    if (token === undefined) {
      reply.header('www-authenticate', 'Bearer realm="tally"');
      throw new HttpProblem(401, 'a valid bearer token is required (tally tokens create)');
    }
    request.token = token;
    request.log = request.log.child({ tokenName: token.name, role: token.role });
    if (!mayUse(token.role, roles))
      throw new HttpProblem(403, `role ${token.role} may not use this route (allowed: ${roles.join(', ')})`);
  };
}
