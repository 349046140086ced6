/**
 * What the tests of abuse, drip and the mailer share (their own integration tests and the end-to-end ones): fresh,
 * uniquely named copies of the catalog topics they read and write, created with their dead-letter topics and
 * schemas, and the environment that points each child process at them, quick to decide and to rejoin.
 */
import type { Kafka } from 'kafkajs';
import { applyTopics, deadLetterTopicOf, registerSchemas, type SchemaRegistry, type TopicSpec } from '@tally/kafka';
import { schemasDir } from './pipeline-topics.ts';

/** A topic of a test: only its name and settings matter here. */
interface Named {
  spec: TopicSpec;
}

/** A copy of a catalog topic named `test.<run>.<suffix>`, with `partitions` if given (else the catalog's). */
export function freshTopic<T extends Named>(run: string, topic: T, suffix: string, partitions?: number): T {
  return {
    ...topic,
    spec: { ...topic.spec, name: `test.${run}.${suffix}`, partitions: partitions ?? topic.spec.partitions },
  };
}

/**
 * Creates `created` and a one-partition dead-letter topic for each of `deadLettered` (the ones a service consumes),
 * and registers the schemas of `created`.
 */
export async function createFreshTopics(
  kafka: Kafka,
  registry: SchemaRegistry,
  created: readonly Named[],
  deadLettered: readonly Named[],
): Promise<void> {
  const specs = created.map((topic) => topic.spec);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await applyTopics(admin, [
      ...specs,
      ...deadLettered.map((topic): TopicSpec => ({
        name: deadLetterTopicOf(topic.spec.name),
        partitions: 1,
        cleanupPolicy: 'delete',
        key: 'original key',
      })),
    ]);
  } finally {
    await admin.disconnect();
  }
  await registerSchemas(registry, schemasDir, specs);
}

export interface AbuseTopics {
  accounts: Named;
  usage: Named;
  hourly: Named;
  payments: Named;
  invoices: Named;
  decisions: Named;
  actions: Named;
  notices: Named;
}

/** The group and topic names abuse reads (serviceGrants reads the same). */
export function abuseTopicEnv(group: string, t: AbuseTopics): Record<string, string> {
  return {
    ABUSE_GROUP: group,
    ABUSE_ACCOUNTS_TOPIC: t.accounts.spec.name,
    ABUSE_USAGE_TOPIC: t.usage.spec.name,
    ABUSE_BILLING_HOURLY_TOPIC: t.hourly.spec.name,
    ABUSE_PAYMENTS_TOPIC: t.payments.spec.name,
    ABUSE_INVOICES_TOPIC: t.invoices.spec.name,
    ABUSE_DECISIONS_TOPIC: t.decisions.spec.name,
    ABUSE_ACTIONS_TOPIC: t.actions.spec.name,
    ABUSE_NOTICES_TOPIC: t.notices.spec.name,
  };
}

/** Abuse deciding every 300 ms, rejoining after 6 s, metrics on a free port. */
export const quickAbuseEnv: Record<string, string> = {
  ABUSE_DECIDE_INTERVAL_MS: '300',
  ABUSE_SESSION_TIMEOUT_MS: '6000',
  ABUSE_METRICS_PORT: '0',
  LOG_LEVEL: 'info',
};

export interface DripTopics {
  accounts: Named;
  instances: Named;
  payments: Named;
  hourly: Named;
  notices: Named;
}

/** The group prefix and topic names drip reads (serviceGrants reads the same). */
export function dripTopicEnv(groupPrefix: string, t: DripTopics): Record<string, string> {
  return {
    DRIP_GROUP_PREFIX: groupPrefix,
    DRIP_ACCOUNTS_TOPIC: t.accounts.spec.name,
    DRIP_INSTANCES_TOPIC: t.instances.spec.name,
    DRIP_PAYMENTS_TOPIC: t.payments.spec.name,
    DRIP_BILLING_TOPIC: t.hourly.spec.name,
    DRIP_NOTIFICATIONS_TOPIC: t.notices.spec.name,
  };
}

/** Drip deciding every 300 ms, rejoining after 6 s, metrics on a free port. */
export const quickDripEnv: Record<string, string> = {
  DRIP_DECIDE_INTERVAL_MS: '300',
  DRIP_SESSION_TIMEOUT_MS: '6000',
  DRIP_METRICS_PORT: '0',
  LOG_LEVEL: 'info',
};

/** The group and topic the mailer reads (serviceGrants reads the same). */
export function mailerTopicEnv(group: string, notices: Named): Record<string, string> {
  return { MAILER_GROUP: group, MAILER_TOPIC: notices.spec.name };
}

/** The mailer sending to a plain SMTP server on `smtpPort` (no TLS, 5 s timeout), rejoining after 6 s. */
export function quickMailerEnv(smtpPort: number): Record<string, string> {
  return {
    SMTP_PORT: String(smtpPort),
    SMTP_TLS: 'none',
    SMTP_TIMEOUT_MS: '5000',
    MAILER_SESSION_TIMEOUT_MS: '6000',
    MAILER_METRICS_PORT: '0',
    LOG_LEVEL: 'info',
  };
}
