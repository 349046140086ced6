import { connectionEnv, dbSchemaName, loadConfig } from '@tally/config';
import { migrate, roleName, serviceRoles } from '@tally/db';
import { z } from 'zod';
import { parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';

const args = z.object({
  schema: dbSchemaName.optional(),
  roles: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,40}$/, 'expected a lower-case identifier')
    .default('tally'),
  'no-roles': z.boolean().default(false),
  positionals: z.array(z.string()).max(0, 'no positional arguments expected'),
});

const env = connectionEnv.extend({ DB_SCHEMA: dbSchemaName.default('billing') });

/**
 * `tally db migrate [--schema s] [--roles prefix | --no-roles]`: applies pending migrations as the owner role of
 * DATABASE_URL, then grants the service roles (`tally_metering`, `tally_billing`, `tally_operator`, `tally_readonly`)
 * exactly their rights in that schema. Services do not migrate at start-up.
 */
export const dbMigrate: Command = {
  path: ['db', 'migrate'],
  usage: 'tally db migrate [--schema name] [--roles prefix | --no-roles]',
  summary: 'apply migrations as the owner and grant the service roles their rights',
  async run(argv, io) {
    const options = parseCommandArgs(
      argv,
      { schema: { type: 'string' }, roles: { type: 'string' }, 'no-roles': { type: 'boolean' } },
      args,
    );
    const config = loadConfig(env, io.env);
    const schema = options.schema ?? config.DB_SCHEMA;
    const rolePrefix = options['no-roles'] ? undefined : options.roles;
    await migrate(config.DATABASE_URL, schema, undefined, rolePrefix === undefined ? {} : { rolePrefix });
    const granted =
      rolePrefix === undefined ? '' : `; roles ${serviceRoles.map((r) => roleName(rolePrefix, r)).join(', ')}`;
    io.out(`schema ${schema} migrated${granted}\n`);
    return 0;
  },
};
