import { describe, expect, it } from 'vitest';
import { InventoryTable } from './inventory-table.ts';
import { instanceRecord, sampleAt } from './sample-fixtures.ts';

const limits = { maxPending: 10, maxWaitMs: 60_000 };

describe('InventoryTable', () => {
  it('keeps the record with the newest updatedAt', () => {
    const table = new InventoryTable(limits);
    expect(table.upsert(instanceRecord({ updatedAt: 10, instanceType: 's1.small' }))).toBe(true);
    expect(table.upsert(instanceRecord({ updatedAt: 20, instanceType: 's1.medium' }))).toBe(true);
    expect(table.upsert(instanceRecord({ updatedAt: 15, instanceType: 'g1.large' }))).toBe(false);
    expect(table.upsert(instanceRecord({ updatedAt: 20, instanceType: 'g1.large' }))).toBe(false);
    expect(table.owner('i-1')).toEqual({ accountId: 'acc-1', instanceType: 's1.medium' });
    expect(table.owner('i-2')).toBeUndefined();
    expect(table.size).toBe(1);
  });

  it('releases pending samples once their instance appears', () => {
    const table = new InventoryTable(limits);
    table.pending.hold(sampleAt({ instanceId: 'i-1' }), 0);
    table.pending.hold(sampleAt({ instanceId: 'i-2' }), 0);
    expect(table.takeReleased()).toEqual([]);
    table.upsert(instanceRecord({ instanceId: 'i-2' }));
    expect(table.takeReleased()).toEqual([sampleAt({ instanceId: 'i-2' })]);
    expect(table.takeReleased()).toEqual([]);
    expect(table.pending.size).toBe(1);
  });
});
