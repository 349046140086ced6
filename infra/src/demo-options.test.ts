import { describe, expect, it } from 'vitest';
import { parseDemoOptions } from './demo-options.ts';

describe('parseDemoOptions', () => {
  it('has defaults and reads every flag', () => {
    expect(parseDemoOptions([])).toEqual({
      hypervisors: 5,
      instancesPerHypervisor: 10,
      days: 2,
      seed: 7,
      stackOnly: false,
    });
    expect(
      parseDemoOptions([
        '--hypervisors',
        '3',
        '--instances-per-hypervisor',
        '4',
        '--days',
        '5',
        '--seed',
        '9',
        '--stack-only',
      ]),
    ).toEqual({
      hypervisors: 3,
      instancesPerHypervisor: 4,
      days: 5,
      seed: 9,
      stackOnly: true,
    });
  });

  it('names a bad value and shows the usage', () => {
    expect(() => parseDemoOptions(['--days', '0'])).toThrowError(/--days[\s\S]*usage: pnpm start/);
    expect(() => parseDemoOptions(['--fleet', '3'])).toThrowError(/Unknown option/);
  });
});
