import { describe, expect, it } from 'vitest';
import { createFleet } from './fleet.ts';
import { generateSamples } from './generate-samples.ts';
import { prefixFleet } from './prefix-fleet.ts';

describe('prefixFleet', () => {
  it('prefixes instance and account ids and keeps the traffic', () => {
    const period = { from: Date.UTC(2025, 0, 1), to: Date.UTC(2025, 0, 1, 1) };
    const fleet = createFleet({ seed: 3, hypervisors: 2, instancesPerHypervisor: 3, period });
    const prefixed = prefixFleet(fleet, 'run-');
    expect(prefixed.instances.every((i) => i.record.instanceId.startsWith('run-i-'))).toBe(true);
    expect(prefixed.accounts.map((a) => a.accountId)).toEqual(fleet.accounts.map((a) => `run-${a.accountId}`));
    const plain = [...generateSamples(fleet, period)];
    const renamed = [...generateSamples(prefixed, period)];
    expect(renamed.map((s) => ({ ...s, instanceId: s.instanceId.slice('run-'.length) }))).toEqual(plain);
  });
});
