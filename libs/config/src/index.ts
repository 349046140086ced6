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
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}

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
