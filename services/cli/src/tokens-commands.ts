import { z } from 'zod';
import { apiRole } from './api-roles.ts';
import { createToken, listTokens, revokeToken, tokenName } from './api-token-store.ts';
import { parseCommandArgs } from './args.ts';
import { withCliDb } from './cli-db.ts';
import type { Command } from './command.ts';

const createArgs = z.object({
  role: apiRole,
  name: tokenName,
  positionals: z.array(z.string()).max(0, 'no positional arguments expected'),
});
const listArgs = z.object({
  json: z.boolean().default(false),
  positionals: z.array(z.string()).max(0, 'no positional arguments expected'),
});
const revokeArgs = z.object({
  positionals: z.tuple([z.string().min(1)], { error: 'expected the token id (tok_…) or its name' }),
});

/** `tally tokens create --role R --name N`: a new API token, printed once (stdout), never stored in clear. */
export const tokensCreate: Command = {
  path: ['tokens', 'create'],
  usage: 'tally tokens create --role finance|support|operator|admin --name <who>',
  summary: 'make an API token for a role; prints the token once (only its SHA-256 is stored)',
  async run(argv, io) {
    const options = parseCommandArgs(argv, { role: { type: 'string' }, name: { type: 'string' } }, createArgs);
    const made = await withCliDb(io.env, (pool) => createToken(pool, options.name, options.role));
    io.out(`${made.token}\n`);
    io.err(`token ${made.id} for ${made.name} (${made.role}); this is the only time it is shown\n`);
    return 0;
  },
};

/** `tally tokens list [--json]`: every token, live and revoked, without secrets. */
export const tokensList: Command = {
  path: ['tokens', 'list'],
  usage: 'tally tokens list [--json]',
  summary: 'list API tokens (id, name, role, created, revoked)',
  async run(argv, io) {
    const options = parseCommandArgs(argv, { json: { type: 'boolean' } }, listArgs);
    const tokens = await withCliDb(io.env, listTokens);
    if (options.json) {
      io.out(`${JSON.stringify(tokens, null, 2)}\n`);
      return 0;
    }
    io.out('id\tname\trole\tcreated\trevoked\n');
    for (const t of tokens) io.out(`${t.id}\t${t.name}\t${t.role}\t${t.createdAt}\t${t.revokedAt ?? '-'}\n`);
    return 0;
  },
};

/** `tally tokens revoke <id|name>`: the token stops working at once (the API checks every request). */
export const tokensRevoke: Command = {
  path: ['tokens', 'revoke'],
  usage: 'tally tokens revoke <id|name>',
  summary: 'revoke a live API token by id or name',
  async run(argv, io) {
    const [which] = parseCommandArgs(argv, {}, revokeArgs).positionals;
    const revoked = await withCliDb(io.env, (pool) => revokeToken(pool, which));
    if (revoked === undefined) {
      io.err(`no live token ${which}\n`);
      return 1;
    }
    io.err(`revoked ${revoked.id} (${revoked.name}, ${revoked.role})\n`);
    return 0;
  },
};
