import { usageKey } from '@tally/records';
import { describe, expect, it } from 'vitest';
import { toUsageHourly, type InstanceHour } from './instance-hour.ts';
import { InventoryTable } from './inventory-table.ts';
import {
  instanceHourKeys,
  meterBatch,
  UNKNOWN_INSTANCE_BUFFER_FULL,
  UNKNOWN_INSTANCE_WAITED_TOO_LONG,
} from './meter-batch.ts';
import { HOUR, instanceRecord, sampleAt } from './sample-fixtures.ts';
import type { ValidationConfig } from './validate-sample.ts';

const config: ValidationConfig = { maxFutureSkewMs: 60_000, retentionMs: 7 * 86_400_000 };
const now = HOUR + 3_600_000;
const key = usageKey('i-1', HOUR);

function knownInventory(): InventoryTable {
  const inventory = new InventoryTable({ maxPending: 2, maxWaitMs: 600_000 });
  inventory.upsert(instanceRecord());
  return inventory;
}

describe('meterBatch', () => {
  it('merges a batch, counting each slot once', () => {
    const samples = [sampleAt(), sampleAt(), sampleAt({ windowStart: HOUR + 30_000 })];
    const result = meterBatch({ states: new Map(), samples, inventory: knownInventory(), now, config });
    expect(result.deadLetters).toEqual([]);
    expect(result.late).toEqual([]);
    expect([...result.changed.keys()]).toEqual([key]);
    expect(toUsageHourly(result.changed.get(key)!)).toMatchObject({ rxBytes: 2000, runningSeconds: 60, version: 2 });
  });

  it('builds on the given states without modifying them and reports only what changed', () => {
    const inventory = knownInventory();
    const first = meterBatch({ states: new Map(), samples: [sampleAt()], inventory, now, config });
    const states = new Map<string, InstanceHour>(first.changed);
    const resend = meterBatch({ states, samples: [sampleAt()], inventory, now, config });
    expect(resend.changed.size).toBe(0);
    const next = meterBatch({ states, samples: [sampleAt({ windowStart: HOUR + 30_000 })], inventory, now, config });
    expect(next.changed.get(key)?.version).toBe(2);
    expect(states.get(key)?.version).toBe(1);
  });

  it('routes invalid samples to dead letters and closed hours to late data', () => {
    const samples = [
      sampleAt({ windowStart: HOUR + 7 }),
      sampleAt({ windowStart: HOUR - config.retentionMs - 3_600_000 * 2 }),
    ];
    const result = meterBatch({ states: new Map(), samples, inventory: knownInventory(), now, config });
    expect(result.deadLetters.map((r) => r.sample)).toEqual([samples[0]]);
    expect(result.late.map((r) => r.sample)).toEqual([samples[1]]);
    expect(result.changed.size).toBe(0);
  });

  it('dead-letters a sample whose sum would lose precision instead of throwing', () => {
    const inventory = knownInventory();
    const huge = sampleAt({ rxBytes: Number.MAX_SAFE_INTEGER });
    const loose = { ...config, maxBytesPerWindow: Number.MAX_SAFE_INTEGER };
    const first = meterBatch({ states: new Map(), samples: [huge], inventory, now, config: loose });
    const second = meterBatch({
      states: first.changed,
      samples: [sampleAt({ windowStart: HOUR + 30_000 })],
      inventory,
      now,
      config: loose,
    });
    expect(second.deadLetters).toHaveLength(1);
    expect(second.changed.size).toBe(0);
  });

  it('holds samples of unknown instances and meters them when the instance appears', () => {
    const inventory = new InventoryTable({ maxPending: 10, maxWaitMs: 600_000 });
    const held = meterBatch({ states: new Map(), samples: [sampleAt()], inventory, now, config });
    expect(held).toMatchObject({ deadLetters: [], late: [] });
    expect(held.changed.size).toBe(0);
    inventory.upsert(instanceRecord());
    const released = meterBatch({ states: new Map(), samples: [], inventory, now, config });
    expect(released.changed.get(key)?.rxBytes).toBe(1000);
    expect(inventory.pending.size).toBe(0);
  });

  it('sends unknown-instance samples to late data when the buffer is full or they waited too long', () => {
    const inventory = new InventoryTable({ maxPending: 2, maxWaitMs: 600_000 });
    const samples = [1, 2, 3].map((n) => sampleAt({ instanceId: `x-${n}` }));
    const full = meterBatch({ states: new Map(), samples, inventory, now, config });
    expect(full.late).toEqual([{ sample: samples[0], reason: UNKNOWN_INSTANCE_BUFFER_FULL }]);
    const waited = meterBatch({ states: new Map(), samples: [], inventory, now: now + 600_001, config });
    expect(waited.late).toEqual([
      { sample: samples[1], reason: UNKNOWN_INSTANCE_WAITED_TOO_LONG },
      { sample: samples[2], reason: UNKNOWN_INSTANCE_WAITED_TOO_LONG },
    ]);
    expect(inventory.pending.size).toBe(0);
  });

  it('lists the keys a batch touches', () => {
    const samples = [sampleAt(), sampleAt({ interfaceId: 'eth1' }), sampleAt({ windowStart: HOUR + 3_600_000 })];
    expect([...instanceHourKeys(samples)]).toEqual([key, usageKey('i-1', HOUR + 3_600_000)]);
  });
});
