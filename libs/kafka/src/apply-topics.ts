import type { Admin } from 'kafkajs';
import kafkajs from 'kafkajs';
import type { TopicSpec } from './catalog.ts';

const { ConfigResourceTypes } = kafkajs;

/** One setting of an existing topic that differs from the catalog. */
export interface TopicDifference {
  topic: string;
  setting: string;
  catalog: string;
  actual: string;
}

export interface TopicsReport {
  created: string[];
  unchanged: string[];
  /** Existing topics whose settings differ from the catalog; reported, never altered. */
  differences: TopicDifference[];
}

/** The catalog against the broker, read only. */
export interface TopicsCheck {
  /** Catalog topics the broker does not have. */
  missing: string[];
  /** Present topics whose partitions or catalog-set configs differ. */
  differences: TopicDifference[];
  /** Present topics equal to the catalog. */
  matching: string[];
}

/**
 * The topic configs the catalog sets (and so the ones verified): the cleanup policy always, retention and the
 * message size limit when given.
 *
 * @example
 * catalogConfig(topics.trafficSamples); // { 'cleanup.policy': 'delete', 'retention.ms': '604800000' }
 */
export function catalogConfig(spec: TopicSpec): Record<string, string> {
  const config: Record<string, string> = { 'cleanup.policy': spec.cleanupPolicy };
  if (spec.retentionMs !== undefined) config['retention.ms'] = String(spec.retentionMs);
  if (spec.maxMessageBytes !== undefined) config['max.message.bytes'] = String(spec.maxMessageBytes);
  return config;
}

/**
 * Compares the catalog with the broker: which topics are missing, and for the others their partition count and
 * every config the catalog sets. Changes nothing.
 */
export async function verifyTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<TopicsCheck> {
  const existing = new Set(await admin.listTopics());
  const present = specs.filter((spec) => existing.has(spec.name));
  const differences: TopicDifference[] = [];
  if (present.length > 0) {
    const metadata = await admin.fetchTopicMetadata({ topics: present.map((spec) => spec.name) });
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: present.map((spec) => ({ type: ConfigResourceTypes.TOPIC, name: spec.name })),
    });
    for (const spec of present) {
      const partitions = metadata.topics.find((topic) => topic.name === spec.name)?.partitions.length ?? 0;
      if (partitions !== spec.partitions) {
        differences.push({
          topic: spec.name,
          setting: 'partitions',
          catalog: String(spec.partitions),
          actual: String(partitions),
        });
      }
      const entries = configs.resources.find((resource) => resource.resourceName === spec.name)?.configEntries ?? [];
      for (const [setting, value] of Object.entries(catalogConfig(spec))) {
        const actual = entries.find((entry) => entry.configName === setting)?.configValue ?? '(unset)';
        if (actual !== value) differences.push({ topic: spec.name, setting, catalog: value, actual });
      }
    }
  }
  const changed = new Set(differences.map((difference) => difference.topic));
  return {
    missing: specs.filter((spec) => !existing.has(spec.name)).map((spec) => spec.name),
    differences,
    matching: present.filter((spec) => !changed.has(spec.name)).map((spec) => spec.name),
  };
}

/**
 * Creates the catalog's missing topics (with the catalog's partitions and configs); existing topics are compared
 * and their differences reported, never altered: a partition count or a cleanup policy changed under a running
 * pipeline breaks keying or compaction, so that is an operator's decision.
 */
export async function applyTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<TopicsReport> {
  const check = await verifyTopics(admin, specs);
  const missing = new Set(check.missing);
  const toCreate = specs.filter((spec) => missing.has(spec.name));
  if (toCreate.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: toCreate.map((spec) => ({
        topic: spec.name,
        numPartitions: spec.partitions,
        replicationFactor: 1,
        configEntries: Object.entries(catalogConfig(spec)).map(([name, value]) => ({ name, value })),
      })),
    });
  }
  return { created: check.missing, unchanged: check.matching, differences: check.differences };
}
