import { describe, expect, it } from 'vitest';
import { waveOf } from './waves.ts';

describe('waveOf', () => {
  it('walks through February, every wave inside 2..28 February, each with its own prefix and seed', () => {
    for (const days of [1, 3, 7, 26, 40]) {
      const size = { hypervisors: 1, instancesPerHypervisor: 1, accounts: 3, days };
      const waves = Array.from({ length: 30 }, (_, i) => waveOf('r', 7, i, size));
      for (const wave of waves) {
        expect(wave.from).toBeGreaterThanOrEqual(Date.UTC(2025, 1, 2));
        expect(wave.from + wave.minutes * 60_000).toBeLessThanOrEqual(Date.UTC(2025, 1, 28));
      }
      expect(new Set(waves.map((w) => w.prefix)).size).toBe(30);
      expect(new Set(waves.map((w) => w.seed)).size).toBe(30);
    }
    expect(waveOf('r', 7, 1, { hypervisors: 1, instancesPerHypervisor: 1, accounts: 3, days: 3 }).from).toBe(
      Date.UTC(2025, 1, 5),
    );
  });
});
