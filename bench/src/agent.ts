// `pnpm bench agent`: what the host agent costs a hypervisor per window, per 1,000 interfaces. A fake host is
// generated (libvirt status XML per domain, /sys/class/net/<tap>/statistics, cgroup v2 cpu.stat per domain, two
// taps per domain) and the agent's real window path runs on it: list and parse the domain XML, build the mapping,
// read every counter and cgroup, compute the samples, append them to a real spool (fsync'd). Sending is left out
// (the spool pump's cost is one Kafka request per 2,000 samples). Each size runs in a child process of its own
// (--expose-gc), so its memory is its own. Prints a line per size and, last, a JSON line with CPU ms and memory
// per 1,000 interfaces per window.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_WINDOW_OPTIONS,
  INITIAL_HOST_WINDOW,
  Spool,
  discoverDomains,
  domainStatusXml,
  hostMapping,
  hostWindowStep,
  readCounters,
} from '@tally/agent';

const SIZES = [1_000, 5_000, 10_000];
const WINDOWS = 12;
const NICS_PER_DOMAIN = 2;

interface Figures {
  interfaces: number;
  windows: number;
  samplesPerWindow: number;
  cpuMsPerWindow: number;
  wallMsPerWindow: number;
  rssMiB: number;
  heapUsedMiB: number;
}

/** Synchronous, one file at a time: thousands of concurrent writes would run out of file descriptors. */
function writeCounter(dir: string, values: readonly number[]): void {
  const names = ['rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets'];
  names.forEach((name, i) => writeFileSync(join(dir, name), `${values[i] ?? 0}\n`));
}

async function measure(interfaces: number): Promise<Figures> {
  const root = await mkdtemp(join(tmpdir(), 'tally-bench-agent-'));
  try {
    const domainDir = join(root, 'qemu');
    const sysRoot = join(root, 'sys');
    const cgroupRoot = join(root, 'cgroup');
    await mkdir(domainDir);
    const domains = interfaces / NICS_PER_DOMAIN;
    const statsDirs: string[] = [];
    for (let d = 0; d < domains; d += 1) {
      const devices = Array.from({ length: NICS_PER_DOMAIN }, (_, n) => `vnet${d * NICS_PER_DOMAIN + n}`);
      const domain = { name: `vm${d}`, id: d + 1, instanceId: `i-${d}`, devices, partition: '/machine' };
      await writeFile(join(domainDir, `vm${d}.xml`), domainStatusXml(domain));
      for (const device of devices) {
        const stats = join(sysRoot, 'class', 'net', device, 'statistics');
        await mkdir(stats, { recursive: true });
        await writeFile(join(sysRoot, 'class', 'net', device, 'ifindex'), `${statsDirs.length + 10}\n`);
        writeCounter(stats, [0, 0, 0, 0]);
        statsDirs.push(stats);
      }
      const cgroup = join(cgroupRoot, 'machine', `vm${d}`);
      await mkdir(cgroup, { recursive: true });
      await writeFile(join(cgroup, 'cpu.stat'), 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n');
    }
    const spool = await Spool.open(join(root, 'spool'), { maxBytes: 2 ** 31, maxRecords: 10_000_000 });
    const paths = { sysRoot, cgroupRoot, cgroupVersion: 'v2' as const };
    const options = { ...DEFAULT_WINDOW_OPTIONS, windowMs: 30_000 };
    let state = INITIAL_HOST_WINDOW;
    let at = Date.UTC(2025, 0, 1);
    let cpuMicros = 0;
    let wallMs = 0;
    let samples = 0;
    // Window 0 is the baseline; windows 1..WINDOWS are measured, after the counters moved (not measured).
    for (let window = 0; window <= WINDOWS; window += 1) {
      if (window > 0) {
        statsDirs.forEach((dir, i) =>
          writeCounter(dir, [window * 1_000_000 + i, window * 500_000, window * 900, window * 600]),
        );
      }
      const cpuBefore = process.cpuUsage();
      const wallBefore = performance.now();
      const { domains: found } = await discoverDomains(domainDir, { from: 'metadata', element: 'instance' });
      const { mapping } = hostMapping('hv-bench', found, '{partition}/{name}');
      const reading = await readCounters(mapping, paths, at + 200);
      const step = hostWindowStep(state, reading, mapping, options);
      state = step.state;
      if (step.samples.length > 0) await spool.append(step.samples);
      const used = process.cpuUsage(cpuBefore);
      if (window > 0) {
        cpuMicros += used.user + used.system;
        wallMs += performance.now() - wallBefore;
        samples += step.samples.length;
      }
      at += 30_000;
      // Acknowledge as the sender would, so the spool stays small and compacts.
      await spool.ack(spool.size);
    }
    (globalThis as { gc?: () => void }).gc?.();
    const memory = process.memoryUsage();
    await spool.close();
    return {
      interfaces,
      windows: WINDOWS,
      samplesPerWindow: samples / WINDOWS,
      cpuMsPerWindow: round(cpuMicros / 1000 / WINDOWS),
      wallMsPerWindow: round(wallMs / WINDOWS),
      rssMiB: round(memory.rss / 2 ** 20),
      heapUsedMiB: round(memory.heapUsed / 2 ** 20),
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

export function run(): void {
  const self = fileURLToPath(import.meta.url);
  const only = process.env['BENCH_AGENT_SIZES']?.split(',').map(Number);
  const results: Figures[] = [];
  for (const size of SIZES.filter((s) => only === undefined || only.includes(s))) {
    const out = execFileSync(process.execPath, ['--expose-gc', self, 'child', String(size)], {
      encoding: 'utf8',
      maxBuffer: 2 ** 24,
    });
    const figures = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Figures;
    results.push(figures);
    console.log(
      `${figures.interfaces} interfaces (${figures.interfaces / NICS_PER_DOMAIN} domains): ${figures.cpuMsPerWindow} ms CPU ` +
        `(${figures.wallMsPerWindow} ms wall) per window, ${figures.samplesPerWindow} samples; RSS ${figures.rssMiB} MiB, ` +
        `heap ${figures.heapUsedMiB} MiB after ${figures.windows} windows`,
    );
  }
  const first = results[0];
  const last = results.at(-1);
  const perThousand =
    first === undefined
      ? undefined
      : {
          cpuMsPerWindow: round(
            results.reduce((sum, r) => sum + (r.cpuMsPerWindow * 1000) / r.interfaces, 0) / results.length,
          ),
          // Memory grows with interfaces from a fixed base (Node, kafkajs, the code): the slope is what each adds.
          ...(last !== undefined && last.interfaces > first.interfaces
            ? {
                rssMiB: round(((last.rssMiB - first.rssMiB) * 1000) / (last.interfaces - first.interfaces)),
                heapMiB: round(((last.heapUsedMiB - first.heapUsedMiB) * 1000) / (last.interfaces - first.interfaces)),
              }
            : {}),
        };
  console.log(
    JSON.stringify({ bench: 'agent', host: { cpus: cpus().length }, perThousandInterfaces: perThousand, results }),
  );
}

if (process.argv[2] === 'child') {
  console.log(JSON.stringify(await measure(Number(process.argv[3]))));
}
