import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_EPOCH_MILLIS,
  MIN_EPOCH_MILLIS,
  billingHourly,
  computedDecimalString,
  decimalString,
  epochMillis,
  hourStartMillis,
  id,
  nonNegativeDecimalString,
  trafficSample,
  usageHourly,
  type UsageHourly,
} from './index.ts';

function issues(result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }): string {
  return (result.error?.issues ?? []).map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
}

const hour = Date.UTC(2026, 0, 1, 10);

function usage(overrides: Partial<UsageHourly> = {}): UsageHourly {
  return {
    instanceId: 'i-1',
    accountId: 'a-1',
    instanceType: 's1.small',
    hourStart: hour,
    runningSeconds: 30,
    rxBytes: 1,
    txBytes: 2,
    rxPackets: 1,
    txPackets: 1,
    cpuSeconds: '0.5',
    counted: [{ interfaceId: 'eth0', slots: [0] }],
    version: 1,
    ...overrides,
  };
}

describe('epoch millis', () => {
  it('accepts 2000-01-01 .. 2200-01-01 and names the bound it breaks outside', () => {
    expect(epochMillis.safeParse(MIN_EPOCH_MILLIS).success).toBe(true);
    expect(epochMillis.safeParse(MAX_EPOCH_MILLIS).success).toBe(true);
    expect(issues(epochMillis.safeParse(0))).toMatch(/at or after 2000-01-01/);
    // Seconds sent as milliseconds land in January 1970.
    expect(issues(epochMillis.safeParse(1_767_225_600))).toMatch(/at or after 2000-01-01/);
    // Beyond year 9999 `new Date(x).toISOString()` throws a RangeError; the schema refuses far earlier.
    expect(issues(epochMillis.safeParse(253_402_300_800_000))).toMatch(/at or before 2200-01-01/);
    expect(epochMillis.safeParse(1.5 + MIN_EPOCH_MILLIS).success).toBe(false);
  });

  it('every accepted time formats as an ISO date', () => {
    fc.assert(
      fc.property(fc.integer({ min: MIN_EPOCH_MILLIS - 10 ** 12, max: MAX_EPOCH_MILLIS + 10 ** 12 }), (millis) => {
        const ok = epochMillis.safeParse(millis).success;
        expect(ok).toBe(millis >= MIN_EPOCH_MILLIS && millis <= MAX_EPOCH_MILLIS);
        if (ok) expect(new Date(millis).toISOString()).toMatch(/^2\d{3}-/);
      }),
    );
  });

  it('hour starts must be whole UTC hours', () => {
    expect(hourStartMillis.safeParse(hour).success).toBe(true);
    expect(issues(hourStartMillis.safeParse(hour + 30_000))).toMatch(/start of a UTC hour/);
    expect(issues(usageHourly.safeParse(usage({ hourStart: hour + 1 })))).toMatch(/^hourStart: .*UTC hour/);
  });
});

describe('decimal strings', () => {
  it('take at most 30 integer and 12 fractional digits from outside', () => {
    expect(decimalString.safeParse('-123.456').success).toBe(true);
    expect(nonNegativeDecimalString.safeParse('9'.repeat(30) + '.' + '9'.repeat(12)).success).toBe(true);
    expect(issues(nonNegativeDecimalString.safeParse('9'.repeat(31)))).toMatch(/at most 30 integer and 12 fractional/);
    expect(nonNegativeDecimalString.safeParse('0.' + '1'.repeat(13)).success).toBe(false);
    // The 16,000-digit CPU seconds that overflowed PostgreSQL's numeric in the upsert.
    const sample = {
      hypervisorId: 'hv',
      instanceId: 'i-1',
      interfaceId: 'eth0',
      windowStart: hour,
      rxBytes: 0,
      txBytes: 0,
      rxPackets: 0,
      txPackets: 0,
      cpuSeconds: '9'.repeat(16_000),
    };
    expect(issues(trafficSample.safeParse(sample))).toMatch(/^cpuSeconds: .*at most 30 integer/);
    for (const bad of ['', '.5', '5.', '1e5', '+1', '1.2.3', ' 1', 'NaN']) {
      expect(decimalString.safeParse(bad).success, bad).toBe(false);
    }
  });

  it("allow Tally's own exact results a long fraction", () => {
    // 30 s of an hour at 40 significant digits, as billing computes it.
    const quantity = '0.008333333333333333333333333333333333333333';
    expect(computedDecimalString.safeParse(quantity).success).toBe(true);
    expect(decimalString.safeParse(quantity).success).toBe(false);
    expect(computedDecimalString.safeParse('0.' + '1'.repeat(81)).success).toBe(false);
    const charges = {
      accountId: 'a-1',
      hourStart: hour,
      currency: 'USD',
      lines: [{ sku: 'compute.s1.small', quantity, amount: '0.00008666666666666666666666666666666666666667' }],
      hourTotal: '0.00008666666666666666666666666666666666666667',
      monthToDate: '12.00008666666666666666666666666666666666666667',
      version: 3,
    };
    expect(billingHourly.safeParse(charges).success).toBe(true);
  });
});

describe('sizes', () => {
  it('caps interfaces per instance-hour at 64 and slots at 120', () => {
    const interfaces = (n: number) => Array.from({ length: n }, (_, i) => ({ interfaceId: `eth${i}`, slots: [0] }));
    expect(usageHourly.safeParse(usage({ counted: interfaces(64) })).success).toBe(true);
    expect(issues(usageHourly.safeParse(usage({ counted: interfaces(65) })))).toBe(
      'counted: at most 64 interfaces per instance-hour',
    );
    const slots = Array.from({ length: 121 }, () => 0);
    expect(issues(usageHourly.safeParse(usage({ counted: [{ interfaceId: 'eth0', slots }] })))).toMatch(
      /counted.0.slots: an hour has 120 slots/,
    );
  });

  it('caps ids at 200 characters', () => {
    expect(id.safeParse('x'.repeat(200)).success).toBe(true);
    expect(id.safeParse('x'.repeat(201)).success).toBe(false);
    expect(id.safeParse('').success).toBe(false);
  });
});
