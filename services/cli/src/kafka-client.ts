import { connectionEnv, loadConfig } from '@tally/config';
import { createKafka } from '@tally/kafka';
import { createLogger } from '@tally/log';

/** The CLI's Kafka client, from the same environment the services read; kafkajs chatter only on errors. */
export function cliKafka(env: NodeJS.ProcessEnv): ReturnType<typeof createKafka> {
  const config = loadConfig(connectionEnv, env);
  return createKafka('tally-cli', config.KAFKA_BROKERS, createLogger('tally-cli', env['LOG_LEVEL'] ?? 'error'));
}
