/**
 * Cgroups for the agent's CPU test: one per hierarchy this machine has (v1 cpuacct, v2 unified, or both on a hybrid
 * host), each named with a random tag and removed afterwards.
 */
import { access, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CgroupVersion } from '../../sysfs-reader.ts';

export interface TestCgroup {
  readonly version: CgroupVersion;
  /** What the agent's `cgroup.root` is set to. */
  readonly agentRoot: string;
  /** Partition and name: with the pattern "{partition}/{name}" the agent finds `dir`. */
  readonly partition: string;
  readonly name: string;
  readonly dir: string;
  /** The kernel's count of CPU micro-seconds for the group (v1 ns truncated as the agent does). */
  usageMicros(): Promise<bigint>;
  join(pid: number): Promise<void>;
  remove(): Promise<void>;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** The hierarchies present: [version, root the agent is given, directory groups are made in]. */
export async function cgroupHierarchies(base = '/sys/fs/cgroup'): Promise<[CgroupVersion, string, string][]> {
  const found: [CgroupVersion, string, string][] = [];
  if (await exists(join(base, 'cgroup.controllers'))) found.push(['v2', base, base]);
  else if (await exists(join(base, 'unified', 'cgroup.controllers'))) {
    found.push(['v2', join(base, 'unified'), join(base, 'unified')]);
  }
  for (const name of ['cpuacct', 'cpu,cpuacct']) {
    if (await exists(join(base, name, 'cpuacct.usage'))) {
      found.push(['v1', base, join(base, name)]);
      break;
    }
  }
  return found;
}

export async function createTestCgroup(
  version: CgroupVersion,
  agentRoot: string,
  groupsDir: string,
  tag: string,
): Promise<TestCgroup> {
  const partition = `/tally-test-${tag}`;
  const name = `vm-${tag}`;
  const parent = join(groupsDir, partition);
  const dir = join(parent, name);
  await mkdir(dir, { recursive: true });
  return {
    version,
    agentRoot,
    partition,
    name,
    dir,
    async usageMicros() {
      if (version === 'v1') return BigInt((await readFile(join(dir, 'cpuacct.usage'), 'utf8')).trim()) / 1000n;
      const match = /^usage_usec (\d+)$/m.exec(await readFile(join(dir, 'cpu.stat'), 'utf8'));
      return BigInt(match?.[1] ?? 'NaN');
    },
    join: (pid) => writeFile(join(dir, 'cgroup.procs'), `${pid}\n`),
    async remove() {
      // A group can only be removed once empty: the test's processes have exited by then.
      await rmdir(dir).catch(() => undefined);
      await rmdir(parent).catch(() => undefined);
    },
  };
}

/** Why cgroups cannot be created here, or undefined when they can. */
export async function cgroupsUnavailable(): Promise<string | undefined> {
  const hierarchies = await cgroupHierarchies();
  if (hierarchies.length === 0) return 'no cgroup v1 cpuacct or v2 hierarchy under /sys/fs/cgroup';
  const [version, root, groups] = hierarchies[0]!;
  try {
    const probe = await createTestCgroup(version, root, groups, `probe-${process.pid}`);
    await probe.remove();
    return undefined;
  } catch (error) {
    return `cannot create a cgroup (${error instanceof Error ? error.message : String(error)})`;
  }
}
