import { createPool } from '@tally/db';
import { issuerFromEnv, issuerEnv } from '@tally/invoice-pdf';
import { createLogger, type Logger } from '@tally/log';
import type { ApiConfig } from './config.ts';
import { buildApp } from './app.ts';
import { cliOpsSource } from './ops-source.ts';

export interface RunningApi {
  /** `http://host:port`, the port chosen when API_PORT is 0. */
  readonly url: string;
  /** Stops accepting, lets in-flight requests finish, then closes the pools. */
  close(): Promise<void>;
}

/**
 * Starts the API from its configuration: pools (the API's role for tokens, the readonly role for reads), the operator
 * views, the issuer for PDFs (when TALLY_ISSUER_* is set), and the server.
 *
 * @example
 * const api = await startApi(loadConfig(apiEnv), process.env);
 * console.log(`API at ${api.url}/docs`);
 */
export async function startApi(
  config: ApiConfig,
  env: NodeJS.ProcessEnv = process.env,
  log: Logger = createLogger('api'),
): Promise<RunningApi> {
  const schemas = {
    billing: config.DB_SCHEMA,
    metering: config.API_METERING_SCHEMA ?? config.DB_SCHEMA,
    abuse: config.API_ABUSE_SCHEMA ?? config.DB_SCHEMA,
  };
  const readUrl = config.API_READ_DATABASE_URL ?? config.DATABASE_URL;
  const tokens = createPool(config.DATABASE_URL, { schema: schemas.billing, max: 2, applicationName: 'tally-api' });
  const read = createPool(readUrl, { max: config.DB_POOL_MAX, applicationName: 'tally-api' });
  const ops = cliOpsSource(env, readUrl, schemas);
  // No issuer at all: PDFs are refused (503) but the rest works; a half-set issuer is a mistake and stops start-up.
  const issuerSet = Object.keys(issuerEnv.shape).some((key) => env[key] !== undefined);
  const issuer = issuerSet ? issuerFromEnv(env) : undefined;
  const { app } = await buildApp({
    tokens,
    read,
    schemas,
    ops,
    log,
    rateLimitPerMinute: config.API_RATE_LIMIT_PER_MINUTE,
    issuer,
    consoleDir: config.API_CONSOLE_DIR,
    now: () => Date.now(),
  });
  try {
    await app.listen({ host: config.API_HOST, port: config.API_PORT });
  } catch (error) {
    await Promise.all([tokens.end(), read.end(), ops.close()]);
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.API_PORT;
  const host = config.API_HOST.includes(':') ? `[${config.API_HOST}]` : config.API_HOST;
  log.info({ url: `http://${host}:${port}`, schemas, pdf: issuer !== undefined }, 'api started');
  return {
    url: `http://${host}:${port}`,
    async close() {
      await app.close();
      await Promise.all([tokens.end(), read.end(), ops.close()]);
    },
  };
}
