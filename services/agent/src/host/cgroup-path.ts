import type { LibvirtDomain } from './libvirt-domain.ts';

/**
 * systemd's unit-name escaping (`systemd-escape`): anything but ASCII letters, digits, ":", "_" and "." becomes
 * `\xNN`, and so does a leading ".".
 *
 * @example
 * systemdEscape('qemu-3-web 1'); // 'qemu\\x2d3\\x2dweb\\x201'
 */
export function systemdEscape(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((byte, i) => {
      const char = String.fromCharCode(byte);
      const plain = /[A-Za-z0-9:_]/.test(char) || (char === '.' && i > 0);
      return plain ? char : `\\x${byte.toString(16).padStart(2, '0')}`;
    })
    .join('');
}

/**
 * A libvirt resource partition as the systemd slices that hold it: "/machine" is machine.slice, "/machine/gold" is
 * machine.slice/machine-gold.slice (a nested slice carries its parents' names).
 *
 * @example
 * partitionSlices('/machine/gold'); // 'machine.slice/machine-gold.slice'
 */
export function partitionSlices(partition: string): string {
  const parts = partition.split('/').filter((part) => part !== '');
  return parts
    .map(
      (_, i) =>
        `${parts
          .slice(0, i + 1)
          .map(systemdEscape)
          .join('-')}.slice`,
    )
    .join('/');
}

/** libvirt's machine name: "qemu-<id>-<name>", the name stripped of what systemd-machined refuses, 64 at most. */
function machineName(domain: LibvirtDomain): string {
  const name = domain.name.replace(/[^A-Za-z0-9_.-]/g, '');
  return `qemu-${domain.domainId ?? ''}-${name}`.slice(0, 64);
}

/** Used when the configuration gives no pattern: where libvirt with systemd puts a running QEMU domain. */
export const DEFAULT_CGROUP_PATTERN = '{slice}/machine-{machine}.scope';

/**
 * The domain's cgroup directory relative to the hierarchy root (v2 root or v1 cpuacct root), from a pattern with
 * placeholders {slice} (the partition as systemd slices, default "/machine"), {partition} (as written, without the
 * leading "/"), {machine} (escaped libvirt machine name), {id}, {name}, {uuid}. Undefined when the pattern needs
 * the domain id and the XML had none (an inactive definition), or the result would leave the root.
 *
 * @example
 * cgroupPathFor(domain, DEFAULT_CGROUP_PATTERN); // 'machine.slice/machine-qemu\\x2d3\\x2dvm1.scope'
 */
export function cgroupPathFor(domain: LibvirtDomain, pattern: string): string | undefined {
  if (domain.domainId === undefined && /\{(id|machine)\}/.test(pattern)) return undefined;
  const partition = domain.partition ?? '/machine';
  const values: Record<string, string> = {
    slice: partitionSlices(partition),
    partition: partition.replace(/^\/+/, ''),
    machine: systemdEscape(machineName(domain)),
    id: domain.domainId ?? '',
    name: domain.name,
    uuid: domain.uuid,
  };
  const path = pattern.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
  const parts = path.split('/').filter((part) => part !== '');
  if (parts.length === 0 || parts.some((part) => part === '..' || part === '.')) return undefined;
  return parts.join('/');
}
