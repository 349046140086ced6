import type { Pool } from '@tally/db';
import type { TopicSpec } from '@tally/kafka';
import { startNodeChild, type ChildHandle } from '@tally/testing';

export interface BenchBillingTopics {
  readonly usage: TopicSpec;
  readonly prices: TopicSpec;
  readonly accounts: TopicSpec;
  readonly payments: TopicSpec;
  readonly hourly: TopicSpec;
}

export interface BenchBilling {
  readonly child: ChildHandle;
  /** Usage records the billing group has stored offsets past (the sum of its next offsets). */
  readonly consumedUsage: () => Promise<number>;
}

/**
 * The billing process as both billing benches run it: its own group and schema, no metering to wait for, nothing
 * due (the benches finalize in process once everything is read), metrics on a free port.
 */
export function startBenchBilling(options: {
  readonly main: string;
  readonly endpoints: { kafkaBrokers: readonly string[]; schemaRegistryUrl: string; databaseUrl: string };
  readonly pool: Pool;
  readonly schema: string;
  readonly group: string;
  readonly topics: BenchBillingTopics;
  readonly env?: NodeJS.ProcessEnv;
}): BenchBilling {
  const { endpoints, topics, group } = options;
  const child = startNodeChild(options.main, {
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
    DATABASE_URL: endpoints.databaseUrl,
    DB_SCHEMA: options.schema,
    BILLING_GROUP: group,
    BILLING_USAGE_TOPIC: topics.usage.name,
    // No metering feeds this billing: the finalizer waits for no traffic.samples.
    BILLING_FINALIZE_WAIT_FOR_METERING: 'false',
    BILLING_PRICES_TOPIC: topics.prices.name,
    BILLING_ACCOUNTS_TOPIC: topics.accounts.name,
    BILLING_PAYMENTS_TOPIC: topics.payments.name,
    BILLING_HOURLY_TOPIC: topics.hourly.name,
    BILLING_GRACE_HOURS: '100000000',
    BILLING_METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
    ...options.env,
  });
  return {
    child,
    consumedUsage: async () => {
      const result = await options.pool.query<{ n: string | null }>(
        'SELECT sum(next_offset) AS n FROM consumer_offsets WHERE group_id = $1 AND topic = $2',
        [group, topics.usage.name],
      );
      return Number(result.rows[0]?.n ?? 0);
    },
  };
}
