import type { Fleet } from './fleet.ts';

/**
 * The same fleet with every instance and account id prefixed, so runs against shared topics never collide.
 * Traffic is keyed by the instance's position, not its id, so the counters stay the same.
 *
 * @example
 * prefixFleet(fleet, 'run7-').instances[0]?.record.instanceId; // 'run7-i-000000'
 */
export function prefixFleet(fleet: Fleet, prefix: string): Fleet {
  if (prefix === '') return fleet;
  return {
    ...fleet,
    accounts: fleet.accounts.map((account) => ({ ...account, accountId: prefix + account.accountId })),
    instances: fleet.instances.map((instance) => ({
      ...instance,
      record: {
        ...instance.record,
        instanceId: prefix + instance.record.instanceId,
        accountId: prefix + instance.record.accountId,
      },
    })),
  };
}
