import { describe, expect, it } from 'vitest';
import { partitionStatus } from './status-report.ts';

const base = { partition: 0, start: '0', end: '10', committed: null };

describe('partitionStatus', () => {
  it('lags from the stored offset, or from the log start when none is stored', () => {
    expect(partitionStatus({ ...base, stored: '4', storedAgeSeconds: 1 }, 300).lag).toBe('6');
    expect(partitionStatus({ ...base, start: '3', stored: null, storedAgeSeconds: null }, 300).lag).toBe('7');
    // A stored offset past the end (topic recreated) is no negative lag.
    expect(partitionStatus({ ...base, stored: '12', storedAgeSeconds: 1 }, 300).lag).toBe('0');
  });

  it('is stalled only with lag and a stored offset older than the threshold', () => {
    expect(partitionStatus({ ...base, stored: '4', storedAgeSeconds: 301 }, 300).stalled).toBe(true);
    expect(partitionStatus({ ...base, stored: '4', storedAgeSeconds: 299 }, 300).stalled).toBe(false);
    expect(partitionStatus({ ...base, stored: '10', storedAgeSeconds: 9_999 }, 300).stalled).toBe(false);
    expect(partitionStatus({ ...base, stored: null, storedAgeSeconds: null }, 300).stalled).toBe(false);
  });
});
