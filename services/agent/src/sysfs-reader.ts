import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeviceMapping } from './device-mapping.ts';

export interface InterfaceCounters {
  readonly rxBytes: bigint;
  readonly txBytes: bigint;
  readonly rxPackets: bigint;
  readonly txPackets: bigint;
  /** The kernel's interface index: a device deleted and created again under the same name gets a new one. */
  readonly ifindex?: number;
}

/** All counters of a hypervisor at one instant. BigInt because sysfs counters are 64-bit. */
export interface CounterReading {
  readonly at: number;
  /** By host device name; a device that is gone (VM stopped) is absent. */
  readonly devices: ReadonlyMap<string, InterfaceCounters>;
  /** CPU micro-seconds by instance id, from cgroup v2 `cpu.stat` usage_usec, where present. */
  readonly cpuMicros: ReadonlyMap<string, bigint>;
  /** Inode of each instance's cgroup directory: a VM restarted between readings has a new cgroup, a new inode. */
  readonly cgroupIds?: ReadonlyMap<string, bigint>;
  /** Devices and instances (CPU) whose files could not be read this time (see `readCounters`' `onError`). */
  readonly unreadable?: { readonly devices: ReadonlySet<string>; readonly cgroups: ReadonlySet<string> };
}

export interface ReaderPaths {
  /** Usually "/sys"; a temp dir in tests. */
  readonly sysRoot: string;
  /** Usually "/sys/fs/cgroup" (v2) or "/sys/fs/cgroup/cpuacct" (v1). */
  readonly cgroupRoot: string;
  /** v2 reads `cpu.stat` usage_usec, v1 the cpuacct controller's `cpuacct.usage` (ns). Default v2. */
  readonly cgroupVersion?: CgroupVersion;
}

export type CgroupVersion = 'v1' | 'v2';

function isMissing(error: unknown): boolean {
  return error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENODEV');
}

async function readCounter(path: string): Promise<bigint> {
  const text = (await readFile(path, 'utf8')).trim();
  if (!/^\d+$/.test(text)) throw new Error(`not a counter in ${path}: ${JSON.stringify(text)}`);
  return BigInt(text);
}

/**
 * Reads /sys/class/net/<device>/statistics/{rx,tx}_{bytes,packets}; undefined when the device does not exist.
 *
 * @example
 * await readInterfaceCounters('/sys', 'vnet0'); // { rxBytes: 123n, ... }
 */
export async function readInterfaceCounters(sysRoot: string, device: string): Promise<InterfaceCounters | undefined> {
  const dir = join(sysRoot, 'class', 'net', device, 'statistics');
  try {
    const [rxBytes, txBytes, rxPackets, txPackets] = await Promise.all(
      ['rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets'].map((name) => readCounter(join(dir, name))),
    );
    if (rxBytes === undefined || txBytes === undefined || rxPackets === undefined || txPackets === undefined) {
      return undefined;
    }
    const ifindex = Number(
      (await readFile(join(sysRoot, 'class', 'net', device, 'ifindex'), 'utf8').catch(() => '')).trim(),
    );
    return Number.isSafeInteger(ifindex) && ifindex > 0
      ? { rxBytes, txBytes, rxPackets, txPackets, ifindex }
      : { rxBytes, txBytes, rxPackets, txPackets };
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/**
 * CPU micro-seconds used by a cgroup v2 group (`usage_usec` in its cpu.stat); undefined when absent.
 *
 * @example
 * await readCpuUsageMicros('/sys/fs/cgroup/machine.slice/vm1.scope'); // 123456789n
 */
export async function readCpuUsageMicros(cgroupDir: string): Promise<bigint | undefined> {
  try {
    const stat = await readFile(join(cgroupDir, 'cpu.stat'), 'utf8');
    const match = /^usage_usec (\d+)$/m.exec(stat);
    return match?.[1] === undefined ? undefined : BigInt(match[1]);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/**
 * CPU micro-seconds used by a cgroup v1 cpuacct group (`cpuacct.usage`, nanoseconds, truncated to micro-seconds:
 * the loss is under 1 µs per reading and never accumulates, since deltas are taken between readings).
 *
 * @example
 * await readCpuacctUsageMicros('/sys/fs/cgroup/cpuacct/machine.slice/vm1.scope'); // 123456789n
 */
export async function readCpuacctUsageMicros(cgroupDir: string): Promise<bigint | undefined> {
  try {
    return (await readCounter(join(cgroupDir, 'cpuacct.usage'))) / 1000n;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

async function inodeOf(path: string): Promise<bigint | undefined> {
  try {
    return (await stat(path, { bigint: true })).ino;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/**
 * Reads every mapped device and cgroup. `at` is the caller's clock reading (an aligned window boundary).
 * Without `onError` a file that cannot be read or parsed fails the whole reading; with it (the host agent) the
 * error is reported, the device or cgroup is listed in `unreadable` and the rest is read: one odd file must not
 * stop a hypervisor's metering.
 *
 * @example
 * const reading = await readCounters(mapping, { sysRoot: '/sys', cgroupRoot: '/sys/fs/cgroup' }, Date.now());
 */
export async function readCounters(
  mapping: DeviceMapping,
  paths: ReaderPaths,
  at: number,
  onError?: (what: string, error: unknown) => void,
): Promise<CounterReading> {
  const devices = new Map<string, InterfaceCounters>();
  const cpuMicros = new Map<string, bigint>();
  const cgroupIds = new Map<string, bigint>();
  const unreadable = { devices: new Set<string>(), cgroups: new Set<string>() };
  const readCpu = paths.cgroupVersion === 'v1' ? readCpuacctUsageMicros : readCpuUsageMicros;
  const guard = async (what: string, missed: () => void, read: () => Promise<void>) => {
    try {
      await read();
    } catch (error) {
      if (onError === undefined) throw error;
      onError(what, error);
      missed();
    }
  };
  await Promise.all([
    ...mapping.devices.map(({ device }) =>
      guard(
        `device ${device}`,
        () => unreadable.devices.add(device),
        async () => {
          const counters = await readInterfaceCounters(paths.sysRoot, device);
          if (counters !== undefined) devices.set(device, counters);
        },
      ),
    ),
    ...[...mapping.cgroups].map(([instanceId, path]) =>
      guard(
        `cgroup ${path}`,
        () => unreadable.cgroups.add(instanceId),
        async () => {
          const dir = join(paths.cgroupRoot, path);
          const [micros, inode] = await Promise.all([readCpu(dir), inodeOf(dir)]);
          if (micros !== undefined) cpuMicros.set(instanceId, micros);
          if (micros !== undefined && inode !== undefined) cgroupIds.set(instanceId, inode);
        },
      ),
    ),
  ]);
  return { at, devices, cpuMicros, cgroupIds, unreadable };
}
