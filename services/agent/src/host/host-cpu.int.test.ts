import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionEnv, loadConfig } from '@tally/config';
import { createKafka, createRegistry, type TopicSpec } from '@tally/kafka';
import { createLogger } from '@tally/log';
import { eventually } from '@tally/testing';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgroupHierarchies, cgroupsUnavailable, createTestCgroup, type TestCgroup } from './testing/cgroups.ts';
import {
  collectSamples,
  createSamplesTopic,
  deleteTopic,
  startHostAgent,
  totals,
  writeDomains,
  type AgentProcess,
  type SampleCollector,
} from './testing/host-agent-kit.ts';

const WINDOW_MS = 2_000;
/** CPU the burner uses after joining the groups, measured by itself. */
const BURN_MICROS = 1_500_000;
/**
 * The cgroup also counts what the burner runs outside its own measurement: reading "go" from stdin before, printing
 * and Node's exit after. Both figures come from the scheduler's per-task runtime (cpuacct/cpu.stat sum it per group,
 * getrusage per process), so nothing else differs; Node's teardown costs a few tens of ms of CPU.
 */
const OUTSIDE_MEASUREMENT_MICROS = 300_000n;

const unavailable = await cgroupsUnavailable();
if (unavailable !== undefined && process.env['CI'] !== undefined) throw new Error(`${unavailable}; CI must run this`);
if (unavailable !== undefined) console.warn(`host-cpu test skipped: ${unavailable}`);

const endpoints = loadConfig(connectionEnv);
const log = createLogger('agent-cpu-test', 'warn');

// Waits for a line on stdin (it has been moved into the groups by then), burns CPU until its own CPU time since then
// reaches the target, prints that CPU time in micro-seconds and exits.
const BURNER = `
process.stdin.once('data', () => {
  const start = process.cpuUsage();
  let x = 0;
  for (;;) {
    const used = process.cpuUsage(start);
    if (used.user + used.system >= ${BURN_MICROS}) { console.log(used.user + used.system); break; }
    for (let i = 0; i < 100000; i++) x = (x + i) | 0;
  }
  process.exit(x === 0.5 ? 1 : 0);
});`;

describe.skipIf(unavailable !== undefined)('host agent on real cgroups', () => {
  const run = randomBytes(4).toString('hex');
  let kafka: Kafka;
  let spec: TopicSpec;
  let workDir: string;
  let collector: SampleCollector | undefined;
  const groups: TestCgroup[] = [];
  const agents: AgentProcess[] = [];

  beforeAll(async () => {
    kafka = createKafka('agent-cpu-test', endpoints.KAFKA_BROKERS, log);
    const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
    spec = await createSamplesTopic(kafka, registry, `test.agent-cpu-${run}.samples`);
    collector = await collectSamples(kafka, registry, spec);
    workDir = await mkdtemp(join(tmpdir(), 'tally-agent-cpu-'));
    for (const [version, root, dir] of await cgroupHierarchies()) {
      groups.push(await createTestCgroup(version, root, dir, run));
    }
  });
  afterAll(async () => {
    for (const agent of agents) agent.child.process.kill('SIGKILL');
    for (const group of groups) await group.remove();
    await collector?.stop();
    await deleteTopic(kafka, spec.name);
    await rm(workDir, { recursive: true, force: true });
  });

  it('reports the CPU seconds a VM burned, exactly as its cgroup counted them, in every hierarchy present', async () => {
    // The VM needs an interface to carry its CPU seconds: a device in a fake /sys whose counters never move.
    const device = `fk${run.slice(0, 6)}`;
    const stats = join(workDir, 'sys', 'class', 'net', device, 'statistics');
    await mkdir(stats, { recursive: true });
    for (const name of ['rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets']) await writeFile(join(stats, name), '0\n');
    const domainDir = join(workDir, 'qemu');
    await mkdir(domainDir);
    const instanceId = `i-${run}`;
    const partition = groups[0]!.partition;
    await writeDomains(domainDir, [{ name: groups[0]!.name, id: 1, instanceId, devices: [device], partition }]);
    for (const group of groups) {
      agents.push(
        await startHostAgent(workDir, `agent-${group.version}`, {
          hypervisorId: `hv-${run}-${group.version}`,
          kafka: { brokers: endpoints.KAFKA_BROKERS },
          schemaRegistryUrl: endpoints.SCHEMA_REGISTRY_URL,
          samplesTopic: spec.name,
          libvirt: { domainDir, instanceId: { metadataElement: 'instance' } },
          sysRoot: join(workDir, 'sys'),
          cgroup: { root: group.agentRoot, version: group.version, pathPattern: '{partition}/{name}' },
          windowMs: WINDOW_MS,
          readDelayMs: 100,
          spool: { dir: join(workDir, `spool-${group.version}`) },
          send: { retryMs: 500 },
        }),
      );
    }
    for (const agent of agents) {
      const ready = await eventually(() => Promise.resolve(agent.child.output().includes('baseline reading')), 60_000);
      expect(ready, agent.child.output()).toBe(true);
    }
    for (const group of groups) expect(await group.usageMicros()).toBe(0n);

    const burner = spawn(process.execPath, ['-e', BURNER], { stdio: ['pipe', 'pipe', 'inherit'] });
    let output = '';
    burner.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => burner.on('exit', resolve));
    for (const group of groups) await group.join(burner.pid!);
    burner.stdin.end('go\n');
    expect(await exited).toBe(0);
    const measured = BigInt(output.trim());
    const exitedAt = Date.now();
    const kernel = await Promise.all(groups.map((group) => group.usageMicros()));

    const closed = exitedAt - (exitedAt % WINDOW_MS);
    const covered = (hypervisorId: string) =>
      collector!.samples.some((s) => s.hypervisorId === hypervisorId && s.windowStart >= closed);
    const caughtUp = await eventually(
      () => Promise.resolve(groups.every((group) => covered(`hv-${run}-${group.version}`))),
      60_000,
      200,
    );
    expect(caughtUp, agents.map((agent) => agent.child.output()).join('\n')).toBe(true);

    for (const [i, group] of groups.entries()) {
      const mine = collector!.samples.filter((s) => s.hypervisorId === `hv-${run}-${group.version}`);
      const reported = totals(mine).cpuMicros;
      // Exactly what the kernel counted for the group (it was created empty, so the agent's baseline was 0).
      expect(reported, `${group.version}`).toBe(kernel[i]);
      expect(reported >= measured - 1_000n, `${group.version}: ${reported} µs reported, ${measured} µs burned`).toBe(
        true,
      );
      expect(reported <= measured + OUTSIDE_MEASUREMENT_MICROS, `${group.version}: ${reported} vs ${measured}`).toBe(
        true,
      );
      console.info(
        `${group.version}: burned ${measured} µs, the group counted ${kernel[i]} µs, the agent reported ${reported} µs`,
      );
    }
    for (const agent of agents) {
      agent.child.process.kill('SIGTERM');
      expect(await agent.child.exited, agent.child.output()).toBe(0);
    }
  });
});
