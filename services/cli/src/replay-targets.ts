import { billingEnv } from '@tally/billing/runtime';
import { loadConfig } from '@tally/config';
import { meteringEnv } from '@tally/metering/config';

/**
 * What a replay must do to the state a consumer group's offsets cover, besides moving the offsets (see README,
 * "Replay"):
 * - `offsets-only`: re-reading changes nothing that is already right (metering's merge is idempotent by
 *   (instance, interface, slot); the inventory, prices, accounts and payments tables keep the latest value or the
 *   first fact), so the rewound offsets alone make the service re-read and fill in whatever is missing.
 * - `billing-usage`: billing_usage keeps the highest version and ignores an equal one, so a re-read would recompute
 *   nothing; the rows of every instance-hour that has a record in the replayed range are deleted with the rewind,
 *   and the re-read inserts them again and recomputes their charges and drafts.
 */
export type StatePolicy = 'offsets-only' | 'billing-usage';

export interface ReplayTarget {
  readonly service: 'metering' | 'billing';
  readonly group: string;
  readonly topic: string;
  readonly state: StatePolicy;
}

export const SERVICES = ['metering', 'billing'] as const;
export type Service = (typeof SERVICES)[number];

/**
 * Every consumer group of the services, named from the same variables (and defaults) the services read, so
 * `BILLING_GROUP=billing-2 tally replay billing` finds the groups that process uses.
 *
 * @example
 * replayTargets({}).filter((t) => t.service === 'billing').map((t) => t.group);
 * // ['billing', 'billing-prices', 'billing-accounts', 'billing-payments']
 */
export function replayTargets(env: NodeJS.ProcessEnv): ReplayTarget[] {
  const metering = loadConfig(meteringEnv, env);
  const billing = loadConfig(billingEnv, env);
  const group = (suffix: string) => `${billing.BILLING_GROUP}${suffix}`;
  return [
    {
      service: 'metering',
      group: metering.METERING_GROUP,
      topic: metering.METERING_SAMPLES_TOPIC,
      state: 'offsets-only',
    },
    {
      service: 'metering',
      group: metering.METERING_INVENTORY_GROUP,
      topic: metering.METERING_INSTANCES_TOPIC,
      state: 'offsets-only',
    },
    { service: 'billing', group: group(''), topic: billing.BILLING_USAGE_TOPIC, state: 'billing-usage' },
    { service: 'billing', group: group('-prices'), topic: billing.BILLING_PRICES_TOPIC, state: 'offsets-only' },
    { service: 'billing', group: group('-accounts'), topic: billing.BILLING_ACCOUNTS_TOPIC, state: 'offsets-only' },
    { service: 'billing', group: group('-payments'), topic: billing.BILLING_PAYMENTS_TOPIC, state: 'offsets-only' },
  ];
}
