import type { Admin } from 'kafkajs';
import kafkajs from 'kafkajs';
import type { TopicSpec } from './catalog.ts';

const { ConfigResourceTypes } = kafkajs;

export interface TopicsReport {
  created: string[];
  unchanged: string[];
  /** Existing topics whose settings differ from the catalog; reported, never altered. */
  differences: { topic: string; setting: string; catalog: string; actual: string }[];
}

function wantedConfig(spec: TopicSpec): Record<string, string> {
  const config: Record<string, string> = { 'cleanup.policy': spec.cleanupPolicy };
  if (spec.retentionMs !== undefined) config['retention.ms'] = String(spec.retentionMs);
  return config;
}

/** Creates the catalog's missing topics; compares the existing ones' partitions and settings. */
export async function applyTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<TopicsReport> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.name));
  const present = specs.filter((spec) => existing.has(spec.name));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((spec) => ({
        topic: spec.name,
        numPartitions: spec.partitions,
        replicationFactor: 1,
        configEntries: Object.entries(wantedConfig(spec)).map(([name, value]) => ({ name, value })),
      })),
    });
  }
  const differences: TopicsReport['differences'] = [];
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
      for (const [setting, value] of Object.entries(wantedConfig(spec))) {
        const actual = entries.find((entry) => entry.configName === setting)?.configValue ?? '(unset)';
        if (actual !== value) differences.push({ topic: spec.name, setting, catalog: value, actual });
      }
    }
  }
  const changed = new Set(differences.map((difference) => difference.topic));
  return {
    created: missing.map((spec) => spec.name),
    unchanged: present.filter((spec) => !changed.has(spec.name)).map((spec) => spec.name),
    differences,
  };
}
