import { randomUUID } from 'node:crypto';

export interface TestDomain {
  readonly name: string;
  readonly id: number;
  readonly instanceId: string;
  readonly devices: readonly string[];
  /** `<resource><partition>`: with the pattern "{partition}/{name}" the cgroup is <partition>/<name>. */
  readonly partition: string;
}

/** A running domain's status XML as libvirt writes it to /run/libvirt/qemu/<name>.xml (the parts the agent reads). */
export function domainStatusXml(domain: TestDomain): string {
  const nics = domain.devices
    .map(
      (device, i) =>
        `      <interface type='bridge'><mac address='52:54:00:00:00:0${i}'/><target dev='${device}'/></interface>`,
    )
    .join('\n');
  return `<domstatus state='running' reason='booted' pid='1'>
  <domain type='kvm' id='${domain.id}'>
    <name>${domain.name}</name>
    <uuid>${randomUUID()}</uuid>
    <metadata><tally:instance xmlns:tally="https://tally.invalid/agent/1" id="${domain.instanceId}"/></metadata>
    <resource><partition>${domain.partition}</partition></resource>
    <devices>
${nics}
    </devices>
  </domain>
</domstatus>
`;
}
