/**
 * `tally tokens create|list|revoke` on a real PostgreSQL schema: the token is printed once and stored only as its
 * SHA-256; list never shows a secret; revoke ends a token, and a name is free again once its token is revoked.
 */
import { createHash } from 'node:crypto';
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLiveToken } from './api-token-store.ts';
import { dispatch } from './dispatch.ts';
import { tokensCreate, tokensList, tokensRevoke } from './tokens-commands.ts';

const endpoints = loadConfig(connectionEnv);
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
});
afterAll(() => db.drop());

async function tally(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await dispatch([tokensCreate, tokensList, tokensRevoke], ['tokens', ...argv], {
    out: (t) => (out += t),
    err: (t) => (err += t),
    env: { ...process.env, DB_SCHEMA: db.schema },
  });
  return { code, out, err };
}

describe('tally tokens', () => {
  it('creates a token shown once and stored hashed, lists it without the secret, revokes it', async () => {
    const made = await tally('create', '--role', 'support', '--name', 'alice');
    expect(made.code, made.err).toBe(0);
    const token = made.out.trim();
    expect(token).toMatch(/^tally_[A-Za-z0-9_-]{43}$/);
    const stored = await db.pool.query<{ token_hash: string }>('SELECT token_hash FROM api_tokens');
    expect(stored.rows).toEqual([{ token_hash: createHash('sha256').update(token).digest('hex') }]);
    expect(JSON.stringify(stored.rows)).not.toContain(token.slice(6));
    expect((await findLiveToken(db.pool, token))?.name).toBe('alice');

    const listed = await tally('list', '--json');
    const rows = JSON.parse(listed.out) as { id: string; name: string; role: string; revokedAt: string | null }[];
    expect(rows).toEqual([expect.objectContaining({ name: 'alice', role: 'support', revokedAt: null })]);
    expect(listed.out).not.toContain(token);

    expect((await tally('create', '--role', 'finance', '--name', 'alice')).code).toBe(1); // a live alice exists
    expect((await tally('revoke', 'alice')).code).toBe(0);
    expect(await findLiveToken(db.pool, token)).toBeUndefined();
    expect((await tally('revoke', rows[0]!.id)).code).toBe(1); // nothing live left to revoke
    expect((await tally('create', '--role', 'finance', '--name', 'alice')).code).toBe(0);
  });

  it('refuses unknown roles and bad names with usage', async () => {
    expect((await tally('create', '--role', 'root', '--name', 'x')).code).toBe(2);
    expect((await tally('create', '--role', 'admin', '--name', 'has space')).code).toBe(2);
  });
});
