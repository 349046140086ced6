import { createLogger } from '@tally/log';
import { prepareTopicsAndSchemas } from './prepare.ts';
import { loadStackConfig } from './stack-config.ts';
import { stackUp } from './stack.ts';

/** Integration tests need the real stack: bring it up (reusing what runs) before any test file starts. */
export default async function setup(): Promise<void> {
  const log = createLogger('test-stack', process.env['LOG_LEVEL'] ?? 'warn');
  const endpoints = await stackUp(loadStackConfig(), log);
  await prepareTopicsAndSchemas(endpoints, log);
  process.env['KAFKA_BROKERS'] = endpoints.kafkaBrokers.join(',');
  process.env['SCHEMA_REGISTRY_URL'] = endpoints.schemaRegistryUrl;
  process.env['DATABASE_URL'] = endpoints.databaseUrl;
}
