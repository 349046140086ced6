import type { Instance, TrafficSample } from '@tally/records';
import type { Owner } from './instance-hour.ts';
import { PendingSamples, type HeldSample, type PendingLimits } from './pending-samples.ts';

/**
 * The inventory join: instance id → latest Instance record, plus the samples waiting for an instance it
 * does not know yet. No I/O and no clock; the runtime feeds it inventory.instances records and `meterBatch`
 * moves samples in and out of `pending`.
 */
export class InventoryTable {
  readonly pending: PendingSamples;
  readonly #instances = new Map<string, Instance>();
  /** Instances that became known while samples of theirs were pending; drained by `takeReleased`. */
  readonly #arrived = new Set<string>();

  constructor(limits: PendingLimits, held: Iterable<HeldSample> = []) {
    this.pending = new PendingSamples(limits, held);
  }

  get size(): number {
    return this.#instances.size;
  }

  /**
   * Applies an inventory record if it is newer (by updatedAt) than the one held; equal or older is ignored,
   * which makes re-reading the compacted topic harmless. Returns whether it was applied.
   *
   * @example
   * table.upsert(instanceRecord); // true the first time, false for the same record again
   */
  upsert(instance: Instance): boolean {
    const known = this.#instances.get(instance.instanceId);
    if (known !== undefined && known.updatedAt >= instance.updatedAt) return false;
    this.#instances.set(instance.instanceId, instance);
    if (known === undefined) this.#arrived.add(instance.instanceId);
    return true;
  }

  get(instanceId: string): Instance | undefined {
    return this.#instances.get(instanceId);
  }

  /** The billing owner of an instance, or undefined when the inventory has not heard of it. */
  owner(instanceId: string): Owner | undefined {
    const instance = this.#instances.get(instanceId);
    return instance === undefined ? undefined : { accountId: instance.accountId, instanceType: instance.instanceType };
  }

  /** Pending samples whose instance has since appeared, in order of arrival of the instances then the samples. */
  takeReleased(): TrafficSample[] {
    const released: TrafficSample[] = [];
    for (const instanceId of this.#arrived) released.push(...this.pending.release(instanceId));
    this.#arrived.clear();
    return released;
  }
}
