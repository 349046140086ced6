import type { DeviceEntry, DeviceMapping } from '../device-mapping.ts';
import { cgroupPathFor } from './cgroup-path.ts';
import type { LibvirtDomain } from './libvirt-domain.ts';

/** A domain or device the agent cannot measure this window, and why (logged, counted). */
export interface MappingProblem {
  readonly domain: string;
  readonly reason: string;
}

export interface HostMapping {
  readonly mapping: DeviceMapping;
  readonly problems: readonly MappingProblem[];
}

/** A kernel interface name: it becomes part of a /sys path, so never a path itself. */
const DEVICE_NAME = /^[A-Za-z0-9_.:-]{1,15}$/;
const INSTANCE_ID = /^.{1,200}$/s;

/**
 * The device mapping of the domains running on this host. Domains that share an instance id, or a device
 * claimed by two domains (a stale status file), is left out whole and reported, rather than billing one VM's
 * traffic to another; the rest of the host is still measured.
 *
 * @example
 * hostMapping('hv-1', [domain], '{slice}/machine-{machine}.scope').mapping.devices;
 * // [{ device: 'vnet0', instanceId: 'i-1', interfaceId: 'eth0', primary: true }]
 */
export function hostMapping(
  hypervisorId: string,
  domains: readonly LibvirtDomain[],
  cgroupPattern: string,
): HostMapping {
  const problems: MappingProblem[] = [];
  const owners = new Map<string, number>();
  const claims = new Map<string, number>();
  for (const domain of domains) {
    for (const nic of domain.nics) owners.set(nic.device, (owners.get(nic.device) ?? 0) + 1);
    claims.set(domain.instanceId, (claims.get(domain.instanceId) ?? 0) + 1);
  }
  const devices: DeviceEntry[] = [];
  const cgroups = new Map<string, string>();
  for (const domain of [...domains].sort((a, b) => a.name.localeCompare(b.name))) {
    const bad = domain.nics.find((nic) => !DEVICE_NAME.test(nic.device));
    const shared = domain.nics.find((nic) => (owners.get(nic.device) ?? 0) > 1);
    const reason =
      bad !== undefined
        ? `device name ${JSON.stringify(bad.device)} is not an interface name`
        : shared !== undefined
          ? `device ${shared.device} is claimed by more than one domain`
          : !INSTANCE_ID.test(domain.instanceId)
            ? 'instance id is not 1 to 200 characters'
            : (claims.get(domain.instanceId) ?? 0) > 1
              ? `instance id ${domain.instanceId} is used by another domain`
              : undefined;
    if (reason !== undefined) {
      problems.push({ domain: domain.name, reason });
      continue;
    }
    domain.nics.forEach((nic, i) => {
      devices.push({
        device: nic.device,
        instanceId: domain.instanceId,
        interfaceId: nic.interfaceId,
        primary: i === 0,
      });
    });
    const cgroup = cgroupPathFor(domain, cgroupPattern);
    if (cgroup === undefined) problems.push({ domain: domain.name, reason: 'no cgroup path (no domain id?)' });
    else cgroups.set(domain.instanceId, cgroup);
    if (domain.nics.length === 0) problems.push({ domain: domain.name, reason: 'no interface to report on' });
  }
  return { mapping: { hypervisorId, devices, cgroups }, problems };
}
