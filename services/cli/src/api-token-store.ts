import type { Queryable } from '@tally/db';
import { z } from 'zod';
import { apiRole, type ApiRole } from './api-roles.ts';
import { hashToken, newToken } from './api-token-secret.ts';

export const tokenName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'a name of 1 to 64 letters, digits, . _ @ - (who holds the token)');

/** A token as listed: never its secret, which is not stored. */
export interface TokenInfo {
  readonly id: string;
  readonly name: string;
  readonly role: ApiRole;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

interface TokenRow {
  id: string;
  name: string;
  role: string;
  created_at: Date;
  revoked_at: Date | null;
}

const info = (row: TokenRow): TokenInfo => ({
  id: row.id,
  name: row.name,
  role: apiRole.parse(row.role),
  createdAt: row.created_at.toISOString(),
  revokedAt: row.revoked_at?.toISOString() ?? null,
});

/** A live token of that name already exists. */
export class TokenNameTaken extends Error {
  override readonly name = 'TokenNameTaken';
}

/**
 * Makes a token; the returned `token` is the only time its secret exists outside the caller.
 *
 * @example
 * const { token } = await createToken(pool, 'alice', 'support'); // print it once
 */
export async function createToken(
  db: Queryable,
  name: string,
  role: ApiRole,
): Promise<TokenInfo & { readonly token: string }> {
  const { token, id } = newToken();
  try {
    const result = await db.query<TokenRow>(
      `INSERT INTO api_tokens (id, name, role, token_hash) VALUES ($1, $2, $3, $4)
       RETURNING id, name, role, created_at, revoked_at`,
      [id, tokenName.parse(name), role, hashToken(token)],
    );
    return { ...info(result.rows[0]!), token };
  } catch (error) {
    if ((error as { code?: string }).code === '23505' && String((error as Error).message).includes('live_name'))
      throw new TokenNameTaken(`a live token named ${name} exists: revoke it first`);
    throw error;
  }
}

export async function listTokens(db: Queryable): Promise<TokenInfo[]> {
  const result = await db.query<TokenRow>(
    'SELECT id, name, role, created_at, revoked_at FROM api_tokens ORDER BY created_at, id',
  );
  return result.rows.map(info);
}

/**
 * Revokes the live token with this id (or, failing that, this name); undefined when there is none. Revoking keeps
 * the row: log lines name tokens, and a name must stay traceable.
 */
export async function revokeToken(db: Queryable, idOrName: string): Promise<TokenInfo | undefined> {
  const result = await db.query<TokenRow>(
    `UPDATE api_tokens SET revoked_at = now()
     WHERE revoked_at IS NULL AND (id = $1 OR (name = $1 AND NOT EXISTS (SELECT 1 FROM api_tokens WHERE id = $1)))
     RETURNING id, name, role, created_at, revoked_at`,
    [idOrName],
  );
  const row = result.rows[0];
  return row === undefined ? undefined : info(row);
}

/** The live token a bearer secret belongs to; undefined for an unknown or revoked one. */
export async function findLiveToken(db: Queryable, token: string): Promise<TokenInfo | undefined> {
  const result = await db.query<TokenRow>(
    'SELECT id, name, role, created_at, revoked_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL',
    [hashToken(token)],
  );
  const row = result.rows[0];
  return row === undefined ? undefined : info(row);
}
