import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionEnv, loadConfig } from '@tally/config';
import { createKafka, createRegistry, type TopicSpec } from '@tally/kafka';
import { createLogger } from '@tally/log';
import { sampleIdentity } from '@tally/records';
import { eventually } from '@tally/testing';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectSamples,
  createSamplesTopic,
  deleteTopic,
  metricValue,
  startHostAgent,
  totals,
  writeDomains,
  type AgentProcess,
  type SampleCollector,
} from './testing/host-agent-kit.ts';
import { createVmPair, inNamespace, netnsUnavailable, type VmPair } from './testing/netns.ts';

const WINDOW_MS = 2_000;
const PAYLOAD = 3_000_000;
const COUNTERS = ['rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets'] as const;

const unavailable = await netnsUnavailable();
if (unavailable !== undefined && process.env['CI'] !== undefined) throw new Error(`${unavailable}; CI must run this`);
if (unavailable !== undefined) console.warn(`host-network test skipped: ${unavailable}`);

const endpoints = loadConfig(connectionEnv);
const log = createLogger('agent-network-test', 'warn');

async function kernelCounters(device: string): Promise<Record<(typeof COUNTERS)[number], number>> {
  const dir = `/sys/class/net/${device}/statistics`;
  const values = await Promise.all(
    COUNTERS.map(async (name) => Number((await readFile(join(dir, name), 'utf8')).trim())),
  );
  return Object.fromEntries(COUNTERS.map((name, i) => [name, values[i] ?? NaN])) as Record<
    (typeof COUNTERS)[number],
    number
  >;
}

/** Reads both devices until two readings a second apart agree: no packet in flight, nothing left to count. */
async function settledCounters(devices: readonly string[]) {
  let last = JSON.stringify(await Promise.all(devices.map(kernelCounters)));
  for (let i = 0; i < 30; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const now = JSON.stringify(await Promise.all(devices.map(kernelCounters)));
    if (now === last)
      return { at: Date.now(), counters: JSON.parse(now) as Awaited<ReturnType<typeof kernelCounters>>[] };
    last = now;
  }
  throw new Error('counters never settled');
}

// Receives one connection's bytes and prints how many arrived.
const SERVER = `
const server = require('node:net').createServer((socket) => {
  let received = 0;
  socket.on('data', (chunk) => { received += chunk.length; });
  socket.on('end', () => { socket.end(); server.close(); console.log(received); });
});
server.listen(7000, process.argv[1]);`;
// Connects (retrying while the server starts), sends exactly N bytes, closes.
const CLIENT = `
const [host, bytes] = [process.argv[1], Number(process.argv[2])];
const attempt = (left) => {
  const socket = require('node:net').connect(7000, host, () => socket.end(Buffer.alloc(bytes, 7)));
  socket.on('error', (error) => (left > 0 ? setTimeout(() => attempt(left - 1), 100) : (console.error(error), process.exit(1))));
  socket.resume();
};
attempt(100);`;

describe.skipIf(unavailable !== undefined)('host agent on real network namespaces', () => {
  const run = randomBytes(4).toString('hex');
  let kafka: Kafka;
  let spec: TopicSpec;
  let workDir: string;
  let pair: VmPair | undefined;
  let collector: SampleCollector | undefined;
  let agent: AgentProcess | undefined;

  beforeAll(async () => {
    kafka = createKafka('agent-network-test', endpoints.KAFKA_BROKERS, log);
    const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
    spec = await createSamplesTopic(kafka, registry, `test.agent-net-${run}.samples`);
    collector = await collectSamples(kafka, registry, spec);
    workDir = await mkdtemp(join(tmpdir(), 'tally-agent-net-'));
    pair = await createVmPair();
  });
  afterAll(async () => {
    agent?.child.process.kill('SIGKILL');
    await pair?.remove();
    await collector?.stop();
    await deleteTopic(kafka, spec.name);
    await rm(workDir, { recursive: true, force: true });
  });

  it('publishes exactly the bytes and packets the kernel counted on the VMs’ host-side devices', async () => {
    const vms = pair!;
    const instances = [`i-${run}-a`, `i-${run}-b`] as const;
    const domainDir = join(workDir, 'qemu');
    await mkdir(domainDir);
    await writeDomains(domainDir, [
      { name: `vm-${run}-a`, id: 1, instanceId: instances[0], devices: [vms.hostDevices[0]], partition: '/machine' },
      { name: `vm-${run}-b`, id: 2, instanceId: instances[1], devices: [vms.hostDevices[1]], partition: '/machine' },
    ]);
    const before = await settledCounters(vms.hostDevices);
    agent = await startHostAgent(workDir, 'agent', {
      hypervisorId: `hv-${run}`,
      kafka: { brokers: endpoints.KAFKA_BROKERS },
      schemaRegistryUrl: endpoints.SCHEMA_REGISTRY_URL,
      samplesTopic: spec.name,
      libvirt: { domainDir, instanceId: { metadataElement: 'instance' } },
      // No cgroups for these VMs: the CPU test covers them.
      cgroup: { root: join(workDir, 'no-cgroups'), version: 'v2', pathPattern: '{partition}/{name}' },
      windowMs: WINDOW_MS,
      readDelayMs: 100,
      spool: { dir: join(workDir, 'spool') },
      send: { retryMs: 500 },
    });
    const started = await eventually(() => Promise.resolve(agent!.child.output().includes('baseline reading')), 60_000);
    expect(started, agent.child.output()).toBe(true);

    const [received] = await Promise.all([
      inNamespace(vms.namespaces[1], SERVER, [vms.addresses[1]]),
      inNamespace(vms.namespaces[0], CLIENT, [vms.addresses[1], String(PAYLOAD)]),
    ]);
    expect(Number(received)).toBe(PAYLOAD);
    const after = await settledCounters(vms.hostDevices);

    // Done once the agent has closed the window in which the counters settled.
    const closed = after.at - (after.at % WINDOW_MS);
    const covered = (instanceId: string) =>
      collector!.samples.some((s) => s.instanceId === instanceId && s.windowStart >= closed);
    const caughtUp = await eventually(() => Promise.resolve(instances.every(covered)), 60_000, 200);
    expect(caughtUp, agent.child.output()).toBe(true);

    const published = collector!.samples;
    expect(new Set(published.map(sampleIdentity)).size).toBe(published.length);
    for (const [i, instanceId] of instances.entries()) {
      const mine = published.filter((s) => s.instanceId === instanceId);
      expect(mine.every((s) => s.hypervisorId === `hv-${run}` && s.interfaceId === 'eth0')).toBe(true);
      const sum = totals(mine);
      const kernel = (name: (typeof COUNTERS)[number]) =>
        (after.counters[i]?.[name] ?? NaN) - (before.counters[i]?.[name] ?? NaN);
      expect({ rx: sum.rxBytes, tx: sum.txBytes, rxp: sum.rxPackets, txp: sum.txPackets }).toEqual({
        rx: kernel('rx_bytes'),
        tx: kernel('tx_bytes'),
        rxp: kernel('rx_packets'),
        txp: kernel('tx_packets'),
      });
    }
    // The host side of A received what A sent, the host side of B transmitted it to B: payload plus headers.
    expect(totals(published.filter((s) => s.instanceId === instances[0])).rxBytes).toBeGreaterThan(PAYLOAD);
    expect(totals(published.filter((s) => s.instanceId === instances[1])).txBytes).toBeGreaterThan(PAYLOAD);

    const health = await fetch(`http://127.0.0.1:${agent.healthPort}/healthz`);
    expect(health.status).toBe(200);
    expect(await metricValue(agent.healthPort, 'tally_agent_windows_total')).toBeGreaterThan(0);
    expect(await metricValue(agent.healthPort, 'tally_agent_domains')).toBe(2);
    // The topic is LogAppendTime: the broker's stamps give the skew, and broker and agent share this machine's clock.
    expect(Math.abs((await metricValue(agent.healthPort, 'tally_agent_clock_skew_seconds')) ?? NaN)).toBeLessThan(2);

    agent.child.process.kill('SIGTERM');
    expect(await agent.child.exited, agent.child.output()).toBe(0);
  });
});
