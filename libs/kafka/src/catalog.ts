/**
 * Every topic Tally uses, as data (ARCHITECTURE.md, "Topics"). `tally topics apply` creates what is
 * missing and reports, never alters, what differs. Keys are UTF-8 strings throughout.
 */
export interface TopicSpec {
  name: string;
  partitions: number;
  cleanupPolicy: 'delete' | 'compact';
  /** Only for cleanup "delete"; undefined keeps the broker default. */
  retentionMs?: number;
  /**
   * The topic's `max.message.bytes`; undefined keeps the broker default (1 MiB). Producers split their sends under it
   * (message-size.ts), and a record that alone exceeds it is parked or, for a dead letter, sent without its value.
   */
  maxMessageBytes?: number;
  /** Avro schema file in schemas/ for the value; undefined for dead-letter topics, whose values are raw bytes. */
  valueSchema?: string;
  key: string;
}

const DAY_MS = 86_400_000;

/** Kafka's default `max.message.bytes` (topic) and `message.max.bytes` (broker): 1 MiB plus the log overhead. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

export const topics = {
  trafficSamples: {
    name: 'traffic.samples.v1',
    partitions: 6,
    cleanupPolicy: 'delete',
    retentionMs: 7 * DAY_MS,
    valueSchema: 'traffic-sample.avsc',
    key: 'instance id',
  },
  lateSamples: {
    name: 'traffic.samples.late.v1',
    partitions: 3,
    cleanupPolicy: 'delete',
    retentionMs: 90 * DAY_MS,
    valueSchema: 'late-sample.avsc',
    key: 'instance id',
  },
  instances: {
    name: 'inventory.instances.v1',
    partitions: 3,
    cleanupPolicy: 'compact',
    valueSchema: 'instance.avsc',
    key: 'instance id',
  },
  accounts: {
    name: 'accounts.v1',
    partitions: 3,
    cleanupPolicy: 'compact',
    valueSchema: 'account.avsc',
    key: 'account id',
  },
  prices: {
    name: 'prices.v1',
    partitions: 1,
    cleanupPolicy: 'compact',
    valueSchema: 'price-entry.avsc',
    key: 'sku|effectiveFrom',
  },
  payments: {
    name: 'payments.v1',
    partitions: 3,
    cleanupPolicy: 'delete',
    retentionMs: 3650 * DAY_MS,
    valueSchema: 'payment.avsc',
    key: 'account id',
  },
  usageHourly: {
    name: 'usage.hourly.v1',
    partitions: 6,
    cleanupPolicy: 'compact',
    valueSchema: 'usage-hourly.avsc',
    key: 'instance|hour',
  },
  billingHourly: {
    name: 'billing.hourly.v1',
    partitions: 3,
    cleanupPolicy: 'compact',
    valueSchema: 'billing-hourly.avsc',
    key: 'account|hour',
  },
  emailNotifications: {
    name: 'notifications.email.v1',
    partitions: 3,
    cleanupPolicy: 'delete',
    retentionMs: 14 * DAY_MS,
    valueSchema: 'email-notification.avsc',
    key: 'message id',
  },
  invoices: {
    name: 'invoices.v1',
    partitions: 3,
    cleanupPolicy: 'compact',
    valueSchema: 'invoice.avsc',
    key: 'account|month|currency',
  },
  abuseDecisions: {
    name: 'abuse.decisions.v1',
    partitions: 3,
    cleanupPolicy: 'compact',
    valueSchema: 'abuse-decision.avsc',
    key: 'account id',
  },
  accountActions: {
    name: 'account.actions.v1',
    partitions: 3,
    cleanupPolicy: 'delete',
    retentionMs: 3650 * DAY_MS,
    valueSchema: 'account-action.avsc',
    key: 'account id',
  },
} as const satisfies Record<string, TopicSpec>;

/** The `max.message.bytes` a producer must respect on `topic`: the catalog's, else Kafka's default. */
export function maxMessageBytesOf(topic: string): number {
  return catalog.find((spec) => spec.name === topic)?.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
}

/** The dead-letter topic of a source topic: original key and bytes, reason in headers. */
export function deadLetterTopicOf(source: string): string {
  return `${source}.dlq`;
}

function deadLetterSpec(source: TopicSpec): TopicSpec {
  return {
    name: deadLetterTopicOf(source.name),
    partitions: 1,
    cleanupPolicy: 'delete',
    retentionMs: 365 * DAY_MS,
    key: 'original key',
  };
}

/** Topics with a dead-letter companion: every topic some consumer reads. */
const consumed: TopicSpec[] = [
  topics.trafficSamples,
  topics.instances,
  topics.accounts,
  topics.prices,
  topics.payments,
  topics.usageHourly,
  topics.billingHourly,
  topics.emailNotifications,
  topics.invoices,
];

export const catalog: TopicSpec[] = [...Object.values(topics), ...consumed.map(deadLetterSpec)];

/** Registry subject of a topic's value (the Confluent TopicNameStrategy). */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}
