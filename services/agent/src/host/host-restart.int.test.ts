import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionEnv, loadConfig } from '@tally/config';
import { createKafka, createRegistry, type TopicSpec } from '@tally/kafka';
import { createLogger } from '@tally/log';
import { sampleIdentity, type TrafficSample } from '@tally/records';
import { eventually } from '@tally/testing';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spool } from '../spool.ts';
import {
  collectSamples,
  createSamplesTopic,
  deleteTopic,
  freePort,
  metricValue,
  startHostAgent,
  writeDomains,
  type AgentProcess,
  type SampleCollector,
} from './testing/host-agent-kit.ts';

const WINDOW_MS = 1_000;
const endpoints = loadConfig(connectionEnv);
const log = createLogger('agent-restart-test', 'warn');

describe('host agent killed while the broker is unreachable', () => {
  const run = randomBytes(4).toString('hex');
  let kafka: Kafka;
  let spec: TopicSpec;
  let workDir: string;
  let collector: SampleCollector | undefined;
  const agents: AgentProcess[] = [];
  /** Stops the fake counters and waits for a write in flight (removing the directory under it would fail it). */
  let stopTraffic: () => Promise<void> = () => Promise.resolve();

  beforeAll(async () => {
    kafka = createKafka('agent-restart-test', endpoints.KAFKA_BROKERS, log);
    const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
    spec = await createSamplesTopic(kafka, registry, `test.agent-restart-${run}.samples`);
    collector = await collectSamples(kafka, registry, spec);
    workDir = await mkdtemp(join(tmpdir(), 'tally-agent-restart-'));
  });
  afterAll(async () => {
    await stopTraffic();
    for (const agent of agents) agent.child.process.kill('SIGKILL');
    await collector?.stop();
    await deleteTopic(kafka, spec.name);
    await rm(workDir, { recursive: true, force: true });
  });

  it('sends the spool after a restart, each sample once, none lost', async () => {
    // A fake /sys whose counters grow all the time: every window has traffic.
    const device = `fr${run.slice(0, 6)}`;
    const stats = join(workDir, 'sys', 'class', 'net', device, 'statistics');
    await mkdir(stats, { recursive: true });
    let bytes = 0;
    const writeCounters = async () => {
      bytes += 1_500;
      const values = { rx_bytes: bytes, tx_bytes: 2 * bytes, rx_packets: bytes / 1_500, tx_packets: bytes / 750 };
      // Replaced whole (write, then rename), as sysfs files read: never an empty or half-written file.
      for (const [name, value] of Object.entries(values)) {
        await writeFile(join(stats, `.${name}`), `${value}\n`);
        await rename(join(stats, `.${name}`), join(stats, name));
      }
    };
    await writeCounters();
    // One write at a time: the next is scheduled once this one is done.
    let writing = true;
    let traffic: NodeJS.Timeout | undefined;
    let inFlight: Promise<void> = Promise.resolve();
    const keepWriting = (): void => {
      if (!writing) return;
      traffic = setTimeout(() => {
        inFlight = writeCounters().then(keepWriting);
      }, 100);
    };
    stopTraffic = async () => {
      writing = false;
      clearTimeout(traffic);
      await inFlight;
    };
    keepWriting();
    const domainDir = join(workDir, 'qemu');
    await mkdir(domainDir);
    const instanceId = `i-${run}`;
    await writeDomains(domainDir, [{ name: `vm-${run}`, id: 4, instanceId, devices: [device], partition: '/machine' }]);
    const config = (brokers: string[]) => ({
      hypervisorId: `hv-${run}`,
      kafka: { brokers },
      schemaRegistryUrl: endpoints.SCHEMA_REGISTRY_URL,
      samplesTopic: spec.name,
      libvirt: { domainDir, instanceId: { metadataElement: 'instance' } },
      sysRoot: join(workDir, 'sys'),
      cgroup: { root: join(workDir, 'no-cgroups'), version: 'v2', pathPattern: '{partition}/{name}' },
      windowMs: WINDOW_MS,
      readDelayMs: 50,
      spool: { dir: join(workDir, 'spool') },
      send: { retryMs: 300 },
    });

    // First run: nothing listens where the broker should be.
    const first = await startHostAgent(workDir, 'first', config([`127.0.0.1:${await freePort()}`]));
    agents.push(first);
    const spooled = await eventually(
      async () => ((await metricValue(first.healthPort, 'tally_agent_spool_records')) ?? 0) >= 5,
      60_000,
      200,
    );
    expect(spooled, first.child.output()).toBe(true);
    // Windows keep closing while the broker is away: the agent is healthy, it only cannot send.
    expect((await fetch(`http://127.0.0.1:${first.healthPort}/healthz`)).status).toBe(200);
    expect((await metricValue(first.healthPort, 'tally_agent_samples_sent_total')) ?? 0).toBe(0);
    first.child.process.kill('SIGKILL');
    await first.child.exited;

    // What the killed agent left in its spool (what a restart must send).
    const spool = await Spool.open(join(workDir, 'spool'), { maxBytes: 2 ** 30, maxRecords: 1_000_000 });
    const left: TrafficSample[] = await spool.peek(spool.size);
    await spool.close();
    expect(left.length).toBeGreaterThanOrEqual(5);
    expect(collector!.samples).toEqual([]);

    const second = await startHostAgent(workDir, 'second', config(endpoints.KAFKA_BROKERS));
    agents.push(second);
    const newest = Math.max(...left.map((s) => s.windowStart));
    const published = () => collector!.samples;
    const sentAll = await eventually(
      () => {
        const ids = new Set(published().map(sampleIdentity));
        const own = published().some((s) => s.windowStart > newest);
        return Promise.resolve(own && left.every((s) => ids.has(sampleIdentity(s))));
      },
      90_000,
      200,
    );
    expect(sentAll, second.child.output()).toBe(true);

    // Each spooled sample arrived once, as spooled; nothing at all arrived twice.
    const byId = new Map<string, TrafficSample[]>();
    for (const sample of published())
      byId.set(sampleIdentity(sample), [...(byId.get(sampleIdentity(sample)) ?? []), sample]);
    for (const sample of left) expect(byId.get(sampleIdentity(sample))).toEqual([sample]);
    expect([...byId.values()].every((list) => list.length === 1)).toBe(true);
    expect(published().slice(0, left.length)).toEqual(left);

    expect(await metricValue(second.healthPort, 'tally_agent_last_send_timestamp_seconds')).toBeGreaterThan(0);
    const drained = await eventually(
      async () => (await metricValue(second.healthPort, 'tally_agent_spool_records')) === 0,
      30_000,
      200,
    );
    expect(drained).toBe(true);
    second.child.process.kill('SIGTERM');
    expect(await second.child.exited, second.child.output()).toBe(0);
  });
});
