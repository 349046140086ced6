import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { topics } from '@tally/kafka';
import { SAMPLE_WINDOW_MS } from '@tally/records';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_CGROUP_PATTERN } from './cgroup-path.ts';

const positive = z.number().int().positive();

/**
 * The host agent's configuration file (YAML; every key optional), documented in services/agent/README.md and
 * packaging/agent.example.yaml. Kafka TLS/SASL come from the environment as for every Tally process (SECURITY.md).
 */
export const hostConfigFile = z
  .object({
    hypervisorId: z.string().min(1).max(200).default(hostname()),
    kafka: z
      .object({ brokers: z.array(z.string().min(1)).min(1).default(['127.0.0.1:9092']) })
      .strict()
      .default({ brokers: ['127.0.0.1:9092'] }),
    schemaRegistryUrl: z.url().default('http://127.0.0.1:8081/apis/ccompat/v7'),
    samplesTopic: z.string().min(1).default(topics.trafficSamples.name),
    libvirt: z
      .object({
        domainDir: z.string().min(1).default('/run/libvirt/qemu'),
        /** "uuid", or the local name of an element under <metadata> whose `id` attribute or text is the id. */
        instanceId: z
          .union([z.literal('uuid'), z.object({ metadataElement: z.string().min(1) }).strict()])
          .default('uuid'),
      })
      .strict()
      .default({ domainDir: '/run/libvirt/qemu', instanceId: 'uuid' }),
    sysRoot: z.string().min(1).default('/sys'),
    cgroup: z
      .object({
        root: z.string().min(1).default('/sys/fs/cgroup'),
        /** auto: v2 when the root has cgroup.controllers, else v1's cpuacct hierarchy under it. */
        version: z.enum(['auto', 'v1', 'v2']).default('auto'),
        pathPattern: z.string().min(1).default(DEFAULT_CGROUP_PATTERN),
      })
      .strict()
      .default({ root: '/sys/fs/cgroup', version: 'auto', pathPattern: DEFAULT_CGROUP_PATTERN }),
    /** 64 on current kernels; 32 only for drivers that still wrap at 2^32. */
    counterWidth: z.union([z.literal(32), z.literal(64)]).default(64),
    /** Tests only: metering counts 30 s slots. Whole seconds dividing 30 s. */
    windowMs: positive
      .refine((ms) => ms % 1000 === 0 && SAMPLE_WINDOW_MS % ms === 0, 'whole seconds that divide 30 s')
      .default(SAMPLE_WINDOW_MS),
    /** Read this long after each boundary, so the reading falls inside the new window even with a little jitter. */
    readDelayMs: z.number().int().min(0).max(5_000).default(200),
    spool: z
      .object({
        dir: z.string().min(1).default('/var/lib/tally-agent/spool'),
        maxBytes: positive.default(256 * 2 ** 20),
        maxRecords: positive.default(2_000_000),
      })
      .strict()
      .default({ dir: '/var/lib/tally-agent/spool', maxBytes: 256 * 2 ** 20, maxRecords: 2_000_000 }),
    send: z
      .object({ batchSize: positive.max(50_000).default(2_000), retryMs: positive.default(5_000) })
      .strict()
      .default({ batchSize: 2_000, retryMs: 5_000 }),
    health: z
      .object({ host: z.string().min(1).default('127.0.0.1'), port: z.number().int().min(0).max(65_535).default(9464) })
      .strict()
      .default({ host: '127.0.0.1', port: 9464 }),
  })
  .strict();
export type HostConfig = z.infer<typeof hostConfigFile>;

/** Environment variables that override the file, as for every Tally process. */
const hostEnv = z.object({
  AGENT_CONFIG: z.string().min(1).optional(),
  KAFKA_BROKERS: z
    .string()
    .transform((value) => value.split(',').map((broker) => broker.trim()))
    .optional(),
  SCHEMA_REGISTRY_URL: z.url().optional(),
  AGENT_HYPERVISOR_ID: z.string().min(1).max(200).optional(),
});

/**
 * Reads the configuration: the YAML file named by `--config <path>` or AGENT_CONFIG (none: all defaults), then
 * KAFKA_BROKERS, SCHEMA_REGISTRY_URL and AGENT_HYPERVISOR_ID from the environment over it. The error names every
 * bad key.
 *
 * @example
 * const config = await loadHostConfig(process.argv.slice(2), process.env);
 */
export async function loadHostConfig(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<HostConfig> {
  const overrides = hostEnv.parse(env);
  const flag = argv.indexOf('--config');
  const path = flag >= 0 ? argv[flag + 1] : overrides.AGENT_CONFIG;
  const raw: unknown = path === undefined ? {} : (parseYaml(await readFile(path, 'utf8')) ?? {});
  const parsed = hostConfigFile.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`);
    throw new Error(
      `invalid agent configuration${path === undefined ? '' : ` in ${path}`}:\n  ${problems.join('\n  ')}`,
    );
  }
  const config = parsed.data;
  return {
    ...config,
    ...(overrides.AGENT_HYPERVISOR_ID === undefined ? {} : { hypervisorId: overrides.AGENT_HYPERVISOR_ID }),
    ...(overrides.SCHEMA_REGISTRY_URL === undefined ? {} : { schemaRegistryUrl: overrides.SCHEMA_REGISTRY_URL }),
    kafka: { ...config.kafka, ...(overrides.KAFKA_BROKERS === undefined ? {} : { brokers: overrides.KAFKA_BROKERS }) },
  };
}
