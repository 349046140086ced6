import { z } from 'zod';
import { loadConfig } from '@tally/config';
import { DEFAULT_KAFKA_VERSION } from './artifacts.ts';

const port = z.coerce.number().int().min(1).max(65535);

/**
 * Where the local stack lives. An explicit KAFKA_BROKERS, SCHEMA_REGISTRY_URL or DATABASE_URL means
 * "use that one, do not start ours"; otherwise the project reuses what answers on these ports, or starts its own.
 */
export const stackEnv = z.object({
  KAFKA_BROKERS: z.string().optional(),
  SCHEMA_REGISTRY_URL: z.url().optional(),
  DATABASE_URL: z.string().optional(),
  TALLY_KAFKA_PORT: port.default(9092),
  TALLY_KAFKA_CONTROLLER_PORT: port.default(9093),
  /** The Kafka the stack starts (a version with a pinned list in infra/maven/kafka-<version>.lock). */
  TALLY_KAFKA_VERSION: z
    .string()
    .regex(/^\d+\.\d+\.\d+$/)
    .default(DEFAULT_KAFKA_VERSION),
  TALLY_REGISTRY_PORT: port.default(8081),
  /** Where the default DATABASE_URL points; when nothing answers there, the project starts an embedded PostgreSQL. */
  TALLY_POSTGRES_PORT: port.default(5432),
  /** The PostgreSQL schema (in DATABASE_URL's database) where our registry keeps its schemas. */
  TALLY_REGISTRY_DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/)
    .default('apicurio'),
  TALLY_STACK_TIMEOUT_MS: z.coerce.number().int().positive().default(180_000),
  /**
   * The demo's (`pnpm start`) database schema and the first of its metrics ports: metering, billing, abuse, drip and
   * mailer on this one and the four after it.
   */
  TALLY_DEMO_DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/)
    .default('tally'),
  TALLY_DEMO_METRICS_PORT: port.default(9464),
  /** Where the demo's API and its console listen (127.0.0.1). */
  TALLY_DEMO_API_PORT: port.default(8480),
});
export type StackConfig = z.infer<typeof stackEnv>;

export function loadStackConfig(env: NodeJS.ProcessEnv = process.env): StackConfig {
  return loadConfig(stackEnv, env);
}

export interface Endpoints {
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  databaseUrl: string;
}

export function endpointsOf(config: StackConfig): Endpoints {
  return {
    kafkaBrokers: (config.KAFKA_BROKERS ?? `127.0.0.1:${config.TALLY_KAFKA_PORT}`).split(',').map((b) => b.trim()),
    schemaRegistryUrl: config.SCHEMA_REGISTRY_URL ?? `http://127.0.0.1:${config.TALLY_REGISTRY_PORT}/apis/ccompat/v7`,
    databaseUrl: config.DATABASE_URL ?? `postgres://postgres@127.0.0.1:${config.TALLY_POSTGRES_PORT}/test`,
  };
}
