import { describe, expect, it } from 'vitest';
import { cgroupPathFor, DEFAULT_CGROUP_PATTERN, partitionSlices, systemdEscape } from './cgroup-path.ts';
import { hostMapping } from './host-mapping.ts';
import { parseDomainXml, type LibvirtDomain } from './libvirt-domain.ts';

// Shaped like /run/libvirt/qemu/<name>.xml of a running domain (trimmed): the status wrapper, namespaced
// metadata, an interface without a target (hostdev) between two taps.
const STATUS_XML = `<?xml version="1.0"?>
<!-- WARNING: THIS IS AN AUTO-GENERATED FILE. -->
<domstatus state='running' reason='booted' pid='4242'>
  <monitor path='/var/lib/libvirt/qemu/domain-7-web&amp;1/monitor.sock' type='unix'/>
  <domain type='kvm' id='7' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
    <name>web&amp;1</name>
    <uuid>2f1e6d8c-1111-4c1a-9f00-0123456789ab</uuid>
    <metadata>
      <tally:instance xmlns:tally="https://tally.invalid/agent/1" id="i-000042"/>
      <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1"><nova:name>other</nova:name></nova:instance>
    </metadata>
    <resource><partition>/machine/gold</partition></resource>
    <devices>
      <interface type='bridge'>
        <mac address='52:54:00:aa:bb:01'/><source bridge='br0'/><target dev='vnet12'/><alias name='net0'/>
      </interface>
      <interface type='hostdev'><mac address='52:54:00:aa:bb:02'/></interface>
      <interface type='network'>
        <source network='default'/><target dev='vnet13'/>
      </interface>
    </devices>
  </domain>
</domstatus>`;

describe('parseDomainXml', () => {
  it('reads the status form: name, uuid, id, metadata instance id, taps in guest order, partition', () => {
    const domain = parseDomainXml(STATUS_XML, { from: 'metadata', element: 'instance' });
    expect(domain).toEqual({
      name: 'web&1',
      uuid: '2f1e6d8c-1111-4c1a-9f00-0123456789ab',
      domainId: '7',
      instanceId: 'i-000042',
      instanceIdFallback: false,
      nics: [
        { device: 'vnet12', interfaceId: 'eth0' },
        { device: 'vnet13', interfaceId: 'eth2' },
      ],
      partition: '/machine/gold',
    });
  });

  it('takes the UUID when asked, or when the metadata element is missing (and says so)', () => {
    expect(parseDomainXml(STATUS_XML, { from: 'uuid' }).instanceId).toBe('2f1e6d8c-1111-4c1a-9f00-0123456789ab');
    const fallback = parseDomainXml(STATUS_XML, { from: 'metadata', element: 'tenant' });
    expect(fallback.instanceId).toBe('2f1e6d8c-1111-4c1a-9f00-0123456789ab');
    expect(fallback.instanceIdFallback).toBe(true);
  });

  it('reads metadata given as text, and a plain inactive <domain> with one interface and no id', () => {
    const xml = `<domain type='kvm'><name>db</name><uuid>u-1</uuid>
      <metadata><x:instance xmlns:x="urn:x">  i-9  </x:instance></metadata>
      <devices><interface type='network'><source network='default'/></interface></devices></domain>`;
    const domain = parseDomainXml(xml, { from: 'metadata', element: 'instance' });
    expect(domain).toMatchObject({ instanceId: 'i-9', domainId: undefined, nics: [], partition: undefined });
  });

  it('rejects what is not a domain', () => {
    expect(() => parseDomainXml('<network><name>x</name></network>', { from: 'uuid' })).toThrow(/not a libvirt/);
    expect(() => parseDomainXml('<domain><name>x</name></domain>', { from: 'uuid' })).toThrow(/uuid/);
  });
});

describe('cgroup paths', () => {
  const domain = parseDomainXml(STATUS_XML, { from: 'uuid' });

  it('escapes like systemd-escape and nests slices like systemd', () => {
    expect(systemdEscape('qemu-7-web.1')).toBe('qemu\\x2d7\\x2dweb.1');
    expect(systemdEscape('.hidden')).toBe('\\x2ehidden');
    expect(partitionSlices('/machine')).toBe('machine.slice');
    expect(partitionSlices('/machine/gold')).toBe('machine.slice/machine-gold.slice');
  });

  it('gives the scope libvirt creates under systemd by default', () => {
    // libvirt drops "&" from the machine name; systemd escapes "-".
    expect(cgroupPathFor(domain, DEFAULT_CGROUP_PATTERN)).toBe(
      'machine.slice/machine-gold.slice/machine-qemu\\x2d7\\x2dweb1.scope',
    );
    expect(cgroupPathFor(domain, '{partition}/{uuid}')).toBe('machine/gold/2f1e6d8c-1111-4c1a-9f00-0123456789ab');
  });

  it('gives none when the pattern needs an id the XML lacks, or would leave the root', () => {
    expect(cgroupPathFor({ ...domain, domainId: undefined }, DEFAULT_CGROUP_PATTERN)).toBeUndefined();
    expect(cgroupPathFor({ ...domain, name: '..' }, '{name}')).toBeUndefined();
  });
});

describe('hostMapping', () => {
  const vm = (name: string, instanceId: string, devices: string[]): LibvirtDomain => ({
    name,
    uuid: `u-${name}`,
    domainId: '1',
    instanceId,
    instanceIdFallback: false,
    nics: devices.map((device, i) => ({ device, interfaceId: `eth${i}` })),
    partition: '/machine',
  });

  it('maps every domain, the first tap primary, cgroups by instance', () => {
    const { mapping, problems } = hostMapping(
      'hv',
      [vm('b', 'i-b', ['vnet2']), vm('a', 'i-a', ['vnet0', 'vnet1'])],
      '{partition}/{name}',
    );
    expect(problems).toEqual([]);
    expect(mapping.devices).toEqual([
      { device: 'vnet0', instanceId: 'i-a', interfaceId: 'eth0', primary: true },
      { device: 'vnet1', instanceId: 'i-a', interfaceId: 'eth1', primary: false },
      { device: 'vnet2', instanceId: 'i-b', interfaceId: 'eth0', primary: true },
    ]);
    expect([...mapping.cgroups]).toEqual([
      ['i-a', 'machine/a'],
      ['i-b', 'machine/b'],
    ]);
  });

  it('leaves out, and reports, domains that share a device or an instance id or name a path as device', () => {
    const { mapping, problems } = hostMapping(
      'hv',
      [vm('a', 'i-a', ['vnet0']), vm('stale', 'i-s', ['vnet0']), vm('c', 'i-a', ['vnet3']), vm('d', 'i-d', ['../x'])],
      '{name}',
    );
    expect(mapping.devices).toEqual([]);
    expect(problems.map((p) => p.domain)).toEqual(['a', 'c', 'd', 'stale']);
  });
});
