import { describe, expect, it } from 'vitest';
import { latestUsage } from './latest-usage.ts';
import { usage } from './test-fixtures.ts';

describe('latestUsage', () => {
  it('keeps the highest version per instance-hour, whatever the order', () => {
    const v1 = usage({ hourStart: 0, runningSeconds: 30, version: 1 });
    const v3 = usage({ hourStart: 0, runningSeconds: 90, version: 3 });
    const v2 = usage({ hourStart: 0, runningSeconds: 60, version: 2 });
    const other = usage({ hourStart: 3_600_000, version: 1 });
    expect(latestUsage([v1, v3, v2, other])).toEqual([v3, other]);
    expect(latestUsage([other, v2, v3, v1])).toEqual([v3, other]);
  });

  it('resolves equal versions without depending on order', () => {
    const a = usage({ hourStart: 0, runningSeconds: 30 });
    const b = usage({ hourStart: 0, runningSeconds: 60 });
    expect(latestUsage([a, b])).toEqual(latestUsage([b, a]));
  });
});
