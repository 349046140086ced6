import { z } from 'zod';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads and validates configuration from the environment; the error names every bad variable.
 *
 * @example
 * const config = loadConfig(z.object({ KAFKA_BROKERS: z.string() }));
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  // `PORT=` would coerce to 0 and `BROKERS=` to one empty broker: a blank value is a mistake, not a default.
  const known = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  const empty = known.filter((key) => env[key] !== undefined && env[key].trim() === '');
  const parsed = schema.safeParse(env);
  const problems = [
    ...empty.map((key) => `${key}: empty; unset it to use the default`),
    ...(parsed.success ? [] : parsed.error.issues)
      .filter((issue) => !empty.includes(String(issue.path[0])))
      .map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`),
  ];
  if (problems.length > 0 || !parsed.success) {
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}

/**
 * A PostgreSQL schema name as the services accept it: a plain lower-case identifier, so it can never carry SQL or
 * quoting into `search_path` or a migration.
 */
export const dbSchemaName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case SQL identifier (letters, digits, _; at most 63)');

/** Connection settings shared by every process; defaults match the local stack `pnpm start` runs. */
export const connectionEnv = z.object({
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((value) => value.split(',').map((broker) => broker.trim())),
  SCHEMA_REGISTRY_URL: z.url().default('http://127.0.0.1:8081/apis/ccompat/v7'),
  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/test'),
});
export type ConnectionConfig = z.infer<typeof connectionEnv>;
