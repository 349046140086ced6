import { connectionEnv, dbSchemaName } from '@tally/config';
import { z } from 'zod';

/**
 * The API's environment. `DATABASE_URL` is the API's own role (it writes only `api_tokens`); read paths use
 * `API_READ_DATABASE_URL`, the readonly role, when set. Schemas default as the CLI's do: billing's tables (and the
 * tokens) in `DB_SCHEMA`, metering's in `API_METERING_SCHEMA` (the same schema when unset, as in the demo).
 */
export const apiEnv = connectionEnv.extend({
  DB_SCHEMA: dbSchemaName.default('billing'),
  API_METERING_SCHEMA: dbSchemaName.optional(),
  /** Abuse's tables (abuse_states, abuse_clearances); `DB_SCHEMA` when unset. */
  API_ABUSE_SCHEMA: dbSchemaName.optional(),
  API_READ_DATABASE_URL: z.string().min(1).optional(),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: z.coerce.number().int().min(0).max(65_535).default(8480),
  /** Requests per token (per client address before authentication) and minute. */
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(600),
  /** Static files served at `/` (the browser console); none when unset. */
  API_CONSOLE_DIR: z.string().min(1).optional(),
  DB_POOL_MAX: z.coerce.number().int().positive().default(8),
  /** A SIGTERM shutdown that takes longer is cut: logged as an error, exit 1. */
  API_SHUTDOWN_DEADLINE_MS: z.coerce.number().int().positive().default(20_000),
});
export type ApiConfig = z.infer<typeof apiEnv>;
