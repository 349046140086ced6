import { abuseEnv } from '@tally/abuse/config';
import { billingEnv } from '@tally/billing/runtime';
import { loadConfig } from '@tally/config';
import { dripEnv } from '@tally/drip/config';
import { mailerEnv } from '@tally/mailer/config';
import { meteringEnv } from '@tally/metering/config';

/**
 * What a replay must do to the state a consumer group's offsets cover, besides moving the offsets (see README,
 * "Replay"):
 * - `offsets-only`: re-reading changes nothing that is already right (metering's merge is idempotent by
 *   (instance, interface, slot); the inventory, prices, accounts and payments tables keep the latest value or the
 *   first fact; abuse and drip store facts that only grow and decide on event time, so a re-read record lands in
 *   an account's first open hour and decides nothing again; the mailer's sent table skips a message id it sent),
 *   so the rewound offsets alone make the service re-read and fill in whatever is missing.
 * - `billing-usage`: billing_usage keeps the highest version and ignores an equal one, so a re-read would recompute
 *   nothing; the rows of every instance-hour that has a record in the replayed range are deleted with the rewind,
 *   and the re-read inserts them again and recomputes their charges and drafts.
 */
export type StatePolicy = 'offsets-only' | 'billing-usage';

export interface ReplayTarget {
  readonly service: Service;
  readonly group: string;
  readonly topic: string;
  readonly state: StatePolicy;
}

export const SERVICES = ['metering', 'billing', 'abuse', 'drip', 'mailer'] as const;
export type Service = (typeof SERVICES)[number];

/** The database schema a service keeps its offsets in, from its own variables. */
export function schemaOf(service: Service, env: NodeJS.ProcessEnv): string {
  const envOf = { metering: meteringEnv, billing: billingEnv, abuse: abuseEnv, drip: dripEnv, mailer: mailerEnv };
  return loadConfig(envOf[service], env).DB_SCHEMA;
}

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
    ...stateMachineTargets(env),
  ];
}

/** Abuse's, drip's and the mailer's groups, named as their main.ts names them. */
function stateMachineTargets(env: NodeJS.ProcessEnv): ReplayTarget[] {
  const abuse = loadConfig(abuseEnv, env);
  const drip = loadConfig(dripEnv, env);
  const mailer = loadConfig(mailerEnv, env);
  const target = (service: Service, group: string, topic: string): ReplayTarget => ({
    service,
    group,
    topic,
    state: 'offsets-only',
  });
  const abuseGroup = (suffix: string) => `${abuse.ABUSE_GROUP}-${suffix}`;
  const dripGroup = (suffix: string) => `${drip.DRIP_GROUP_PREFIX}-${suffix}`;
  return [
    target('abuse', abuseGroup('accounts'), abuse.ABUSE_ACCOUNTS_TOPIC),
    target('abuse', abuseGroup('usage'), abuse.ABUSE_USAGE_TOPIC),
    target('abuse', abuseGroup('billing-hourly'), abuse.ABUSE_BILLING_HOURLY_TOPIC),
    target('abuse', abuseGroup('payments'), abuse.ABUSE_PAYMENTS_TOPIC),
    target('abuse', abuseGroup('invoices'), abuse.ABUSE_INVOICES_TOPIC),
    target('drip', dripGroup('accounts'), drip.DRIP_ACCOUNTS_TOPIC),
    target('drip', dripGroup('instances'), drip.DRIP_INSTANCES_TOPIC),
    target('drip', dripGroup('payments'), drip.DRIP_PAYMENTS_TOPIC),
    target('drip', dripGroup('billing'), drip.DRIP_BILLING_TOPIC),
    target('mailer', mailer.MAILER_GROUP, mailer.MAILER_TOPIC),
  ];
}
