import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connectionEnv, loadConfig } from '@tally/config';
import { createKafka, createRegistry, type TopicSpec } from '@tally/kafka';
import { createLogger } from '@tally/log';
import { eventually } from '@tally/testing';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectSamples,
  createSamplesTopic,
  deleteTopic,
  startHostAgent,
  writeDomains,
  type AgentProcess,
  type SampleCollector,
} from './testing/host-agent-kit.ts';

const run = promisify(execFile);
const packaging = fileURLToPath(new URL('../packaging/build-sea.ts', import.meta.url));
const executable = fileURLToPath(new URL('../../dist/tally-agent', import.meta.url));
const endpoints = loadConfig(connectionEnv);
const log = createLogger('agent-sea-test', 'warn');

describe('the single executable', () => {
  const tag = randomBytes(4).toString('hex');
  let kafka: Kafka;
  let spec: TopicSpec;
  let workDir: string;
  let collector: SampleCollector | undefined;
  let agent: AgentProcess | undefined;

  beforeAll(async () => {
    await run(process.execPath, [packaging], { timeout: 240_000 });
    kafka = createKafka('agent-sea-test', endpoints.KAFKA_BROKERS, log);
    const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
    spec = await createSamplesTopic(kafka, registry, `test.agent-sea-${tag}.samples`);
    collector = await collectSamples(kafka, registry, spec);
    workDir = await mkdtemp(join(tmpdir(), 'tally-agent-sea-'));
  });
  afterAll(async () => {
    agent?.child.process.kill('SIGKILL');
    await collector?.stop();
    await deleteTopic(kafka, spec.name);
    await rm(workDir, { recursive: true, force: true });
  });

  it('refuses a bad configuration, naming the key', async () => {
    const bad = join(workDir, 'bad.yaml');
    await writeFile(bad, 'windowMs: 7\nspool: { dir: /tmp/x, colour: blue }\n');
    const failed = await run(executable, ['--check-config', '--config', bad]).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/windowMs: whole seconds/);
    expect(failed?.stderr).toMatch(/spool: Unrecognized key: "colour"/);
  });

  it('runs without Node installed around it: reads a host, publishes samples, serves /healthz, stops on SIGTERM', async () => {
    const device = `fs${tag.slice(0, 6)}`;
    const stats = join(workDir, 'sys', 'class', 'net', device, 'statistics');
    await mkdir(stats, { recursive: true });
    for (const name of ['rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets']) await writeFile(join(stats, name), '0\n');
    const domainDir = join(workDir, 'qemu');
    await mkdir(domainDir);
    const instanceId = `i-${tag}`;
    await writeDomains(domainDir, [{ name: `vm-${tag}`, id: 1, instanceId, devices: [device], partition: '/machine' }]);
    const startedAt = performance.now();
    agent = await startHostAgent(
      workDir,
      'sea',
      {
        hypervisorId: `hv-${tag}`,
        kafka: { brokers: endpoints.KAFKA_BROKERS },
        schemaRegistryUrl: endpoints.SCHEMA_REGISTRY_URL,
        samplesTopic: spec.name,
        libvirt: { domainDir, instanceId: { metadataElement: 'instance' } },
        sysRoot: join(workDir, 'sys'),
        cgroup: { root: join(workDir, 'no-cgroups'), version: 'v2', pathPattern: '{partition}/{name}' },
        windowMs: 1_000,
        readDelayMs: 50,
        spool: { dir: join(workDir, 'spool') },
      },
      executable,
    );
    const healthy = await eventually(
      () =>
        fetch(`http://127.0.0.1:${agent!.healthPort}/healthz`).then(
          (response) => response.ok,
          () => false,
        ),
      30_000,
      5,
    );
    const startMs = performance.now() - startedAt;
    expect(healthy, agent.child.output()).toBe(true);
    const published = await eventually(
      () => Promise.resolve(collector!.samples.some((s) => s.instanceId === instanceId)),
      60_000,
      100,
    );
    expect(published, agent.child.output()).toBe(true);
    agent.child.process.kill('SIGTERM');
    expect(await agent.child.exited, agent.child.output()).toBe(0);
    const size = (await stat(executable)).size;
    console.info(
      `tally-agent: ${(size / 2 ** 20).toFixed(1)} MiB, /healthz answered ${startMs.toFixed(0)} ms after spawn`,
    );
  });
});
