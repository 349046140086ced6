import { readFile } from 'node:fs/promises';
import { z } from 'zod';

/** A kernel interface name: at most 15 characters, and never a path (it becomes part of a /sys path). */
const deviceName = z.string().regex(/^[A-Za-z0-9_.:-]{1,15}$/, 'not an interface name');
const id = z.string().min(1).max(200);
/** Relative to the cgroup v2 root, e.g. "machine.slice/machine-qemu\\x2d1\\x2dvm1.scope". */
const cgroupPath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be relative');

/** Explicit form: one entry per host device. The first device listed for an instance is its primary. */
const explicitMapping = z.object({
  hypervisorId: id,
  devices: z.array(z.object({ device: deviceName, instanceId: id, interfaceId: id })),
  cgroups: z.record(id, cgroupPath).default({}),
});

/**
 * libvirt form: per domain, its tap devices (vnetN) in guest order; they become eth0, eth1, … and the first is
 * primary. This is what `virsh domiflist` gives, so a small script can write the file.
 */
const libvirtMapping = z.object({
  hypervisorId: id,
  domains: z.array(z.object({ instanceId: id, nics: z.array(deviceName).min(1), cgroup: cgroupPath.optional() })),
});

export const deviceMappingFile = z.union([explicitMapping, libvirtMapping]);
export type DeviceMappingFile = z.infer<typeof deviceMappingFile>;

export interface DeviceEntry {
  readonly device: string;
  readonly instanceId: string;
  readonly interfaceId: string;
  /** Carries the instance's CPU seconds. */
  readonly primary: boolean;
}

/** Which host device is which VM interface, normalised from either file form. */
export interface DeviceMapping {
  readonly hypervisorId: string;
  readonly devices: readonly DeviceEntry[];
  /** instanceId → cgroup path relative to the cgroup v2 root. */
  readonly cgroups: ReadonlyMap<string, string>;
}

/**
 * Validates and normalises a mapping; rejects a device mapped twice or an interface of an instance mapped twice.
 *
 * @example
 * parseDeviceMapping({ hypervisorId: 'hv-1', domains: [{ instanceId: 'i-1', nics: ['vnet0'] }] });
 */
export function parseDeviceMapping(json: unknown): DeviceMapping {
  const file = deviceMappingFile.parse(json);
  const devices: DeviceEntry[] = [];
  const cgroups = new Map<string, string>();
  if ('devices' in file) {
    const seen = new Set<string>();
    for (const entry of file.devices) {
      devices.push({ ...entry, primary: !seen.has(entry.instanceId) });
      seen.add(entry.instanceId);
    }
    for (const [instanceId, path] of Object.entries(file.cgroups)) cgroups.set(instanceId, path);
  } else {
    for (const domain of file.domains) {
      domain.nics.forEach((device, i) => {
        devices.push({ device, instanceId: domain.instanceId, interfaceId: `eth${i}`, primary: i === 0 });
      });
      if (domain.cgroup !== undefined) cgroups.set(domain.instanceId, domain.cgroup);
    }
  }
  const byDevice = new Set<string>();
  const byInterface = new Set<string>();
  for (const entry of devices) {
    const iface = `${entry.instanceId}|${entry.interfaceId}`;
    if (byDevice.has(entry.device)) throw new Error(`device ${entry.device} is mapped twice`);
    if (byInterface.has(iface))
      throw new Error(`interface ${entry.interfaceId} of ${entry.instanceId} is mapped twice`);
    byDevice.add(entry.device);
    byInterface.add(iface);
  }
  return { hypervisorId: file.hypervisorId, devices, cgroups };
}

/** Reads and validates a mapping file (JSON). */
export async function loadDeviceMapping(path: string): Promise<DeviceMapping> {
  return parseDeviceMapping(JSON.parse(await readFile(path, 'utf8')));
}
