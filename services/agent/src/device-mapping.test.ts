import { describe, expect, it } from 'vitest';
import { parseDeviceMapping } from './device-mapping.ts';

describe('parseDeviceMapping', () => {
  it('normalises the explicit form; the first device of an instance is primary', () => {
    const mapping = parseDeviceMapping({
      hypervisorId: 'hv-1',
      devices: [
        { device: 'tap-a0', instanceId: 'i-a', interfaceId: 'eth0' },
        { device: 'tap-a1', instanceId: 'i-a', interfaceId: 'eth1' },
        { device: 'tap-b0', instanceId: 'i-b', interfaceId: 'eth0' },
      ],
      cgroups: { 'i-a': 'machine.slice/a.scope' },
    });
    expect(mapping.devices.map((d) => [d.device, d.primary])).toEqual([
      ['tap-a0', true],
      ['tap-a1', false],
      ['tap-b0', true],
    ]);
    expect(mapping.cgroups.get('i-a')).toBe('machine.slice/a.scope');
  });

  it('normalises the libvirt form: vnet devices in guest order become eth0, eth1', () => {
    const mapping = parseDeviceMapping({
      hypervisorId: 'hv-1',
      domains: [{ instanceId: 'i-a', nics: ['vnet3', 'vnet7'], cgroup: 'machine.slice/x.scope' }],
    });
    expect(mapping.devices).toEqual([
      { device: 'vnet3', instanceId: 'i-a', interfaceId: 'eth0', primary: true },
      { device: 'vnet7', instanceId: 'i-a', interfaceId: 'eth1', primary: false },
    ]);
  });

  it('rejects path tricks, absolute cgroups and double mappings', () => {
    expect(() =>
      parseDeviceMapping({ hypervisorId: 'h', devices: [{ device: '../etc', instanceId: 'i', interfaceId: 'e' }] }),
    ).toThrow();
    expect(() =>
      parseDeviceMapping({ hypervisorId: 'h', domains: [{ instanceId: 'i', nics: ['vnet0'], cgroup: '/abs' }] }),
    ).toThrow();
    expect(() =>
      parseDeviceMapping({
        hypervisorId: 'h',
        domains: [
          { instanceId: 'i', nics: ['vnet0'] },
          { instanceId: 'j', nics: ['vnet0'] },
        ],
      }),
    ).toThrow(/mapped twice/);
  });
});
