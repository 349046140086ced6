import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { CgroupVersion } from '../sysfs-reader.ts';

export interface CgroupLayout {
  readonly version: CgroupVersion;
  /** The directory domain cgroup paths are relative to: the v2 root, or v1's cpuacct hierarchy. */
  readonly cpuRoot: string;
}

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Which cgroup hierarchy holds the VMs' CPU time. v2 (unified) has cgroup.controllers at its root; v1 mounts
 * cpuacct on its own or with cpu ("cpu,cpuacct"). Hybrid hosts (v1 controllers, v2 only for systemd) count CPU in
 * v1, which is where libvirt puts the domains, so v1 wins when the root itself is not unified.
 *
 * @example
 * await cgroupLayout('/sys/fs/cgroup', 'auto'); // { version: 'v2', cpuRoot: '/sys/fs/cgroup' }
 */
export async function cgroupLayout(root: string, version: 'auto' | CgroupVersion): Promise<CgroupLayout> {
  if (version === 'v2' || (version === 'auto' && (await exists(join(root, 'cgroup.controllers'))))) {
    return { version: 'v2', cpuRoot: root };
  }
  for (const name of ['cpuacct', 'cpu,cpuacct', 'cpuacct,cpu']) {
    if (await exists(join(root, name, 'cpuacct.usage'))) return { version: 'v1', cpuRoot: join(root, name) };
  }
  // An explicit v1 whose root is already the cpuacct hierarchy.
  if (version === 'v1') return { version: 'v1', cpuRoot: root };
  return { version: 'v2', cpuRoot: root };
}
