import type { AclEntry, Admin } from 'kafkajs';
// kafkajs is CommonJS and Node's ESM loader does not find these enums as named exports (only vitest's interop does):
// take them from the default export so `node` can import this module directly.
import kafkajs from 'kafkajs';
import { deadLetterTopicOf, topics } from '@tally/kafka';
import { z } from 'zod';

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

/** What one principal may do: the topics it writes, the topics it reads, and the consumer groups it reads with. */
export interface ServiceGrants {
  writes?: readonly string[];
  reads?: readonly string[];
  /** Topics whose ends it only looks at (billing's finalizer watches traffic.samples). */
  describes?: readonly string[];
  /** Exact group ids. */
  groups?: readonly string[];
  /** Group id prefixes (one-off readers: `tally-reader-<uuid>`). */
  groupPrefixes?: readonly string[];
  /** Groups whose committed offsets it only looks at (the API's lag view), never joins or commits for. */
  describeGroups?: readonly string[];
}

/**
 * The ACL entries that allow `principal` exactly `grants` and nothing else: WRITE on the topics it writes, READ on
 * those it reads and on its groups. Kafka lets READ and WRITE imply DESCRIBE, which is all a client needs for
 * metadata, offsets and an idempotent producer (WRITE on a topic allows InitProducerId since Kafka 3.0), so no
 * cluster-wide right is handed out.
 *
 * @example
 * serviceAcls('agent', { writes: ['traffic.samples.v1'] });
 * // [{ resourceType: TOPIC, resourceName: 'traffic.samples.v1', principal: 'User:agent', operation: WRITE, … }]
 */
export function serviceAcls(principal: string, grants: ServiceGrants): AclEntry[] {
  const entry = (
    resourceType: AclEntry['resourceType'],
    resourceName: string,
    resourcePatternType: AclEntry['resourcePatternType'],
    operation: AclEntry['operation'],
  ): AclEntry => ({
    resourceType,
    resourceName,
    resourcePatternType,
    principal: `User:${principal}`,
    host: '*',
    operation,
    permissionType: AclPermissionTypes.ALLOW,
  });
  const { TOPIC, GROUP } = AclResourceTypes;
  const { LITERAL, PREFIXED } = ResourcePatternTypes;
  const { READ, WRITE, DESCRIBE } = AclOperationTypes;
  return [
    ...(grants.writes ?? []).map((topic) => entry(TOPIC, topic, LITERAL, WRITE)),
    ...(grants.reads ?? []).map((topic) => entry(TOPIC, topic, LITERAL, READ)),
    ...(grants.describes ?? []).map((topic) => entry(TOPIC, topic, LITERAL, DESCRIBE)),
    ...(grants.groups ?? []).map((group) => entry(GROUP, group, LITERAL, READ)),
    ...(grants.groupPrefixes ?? []).map((prefix) => entry(GROUP, prefix, PREFIXED, READ)),
    ...(grants.describeGroups ?? []).map((group) => entry(GROUP, group, LITERAL, DESCRIBE)),
  ];
}

/** Creates the ACLs of every principal in `grants` (by principal name) through an admin client of a super user. */
export async function grantServiceAcls(admin: Admin, grants: Readonly<Record<string, ServiceGrants>>): Promise<void> {
  const acl = Object.entries(grants).flatMap(([principal, g]) => serviceAcls(principal, g));
  if (acl.length > 0) await admin.createAcls({ acl });
}

const name = (fallback: string) => z.string().min(1).default(fallback);

/**
 * The topic and group names each service reads from its environment, under the same variables and with the same
 * defaults as its own config schema (services/<service>/src/config.ts), so the ACLs follow a renamed topic or group.
 * service-acls.test.ts checks every `*_TOPIC` of those schemas is granted here.
 */
export const serviceNamesEnv = z.object({
  // The agent simulator (the host agent's samplesTopic defaults to the same catalog topic).
  AGENT_SAMPLES_TOPIC: name(topics.trafficSamples.name),
  AGENT_INSTANCES_TOPIC: name(topics.instances.name),
  AGENT_ACCOUNTS_TOPIC: name(topics.accounts.name),
  METERING_GROUP: name('metering'),
  METERING_INVENTORY_GROUP: name('metering-inventory'),
  METERING_SAMPLES_TOPIC: name(topics.trafficSamples.name),
  METERING_INSTANCES_TOPIC: name(topics.instances.name),
  METERING_USAGE_TOPIC: name(topics.usageHourly.name),
  METERING_LATE_TOPIC: name(topics.lateSamples.name),
  BILLING_GROUP: name('billing'),
  BILLING_SAMPLES_TOPIC: name(topics.trafficSamples.name),
  BILLING_FINALIZE_WAIT_FOR_METERING: z.enum(['true', 'false']).default('true'),
  BILLING_USAGE_TOPIC: name(topics.usageHourly.name),
  BILLING_PRICES_TOPIC: name(topics.prices.name),
  BILLING_ACCOUNTS_TOPIC: name(topics.accounts.name),
  BILLING_PAYMENTS_TOPIC: name(topics.payments.name),
  BILLING_HOURLY_TOPIC: name(topics.billingHourly.name),
  BILLING_INVOICES_TOPIC: name(topics.invoices.name),
  ABUSE_GROUP: name('abuse'),
  ABUSE_ACCOUNTS_TOPIC: name(topics.accounts.name),
  ABUSE_USAGE_TOPIC: name(topics.usageHourly.name),
  ABUSE_BILLING_HOURLY_TOPIC: name(topics.billingHourly.name),
  ABUSE_PAYMENTS_TOPIC: name(topics.payments.name),
  ABUSE_INVOICES_TOPIC: name(topics.invoices.name),
  ABUSE_DECISIONS_TOPIC: name(topics.abuseDecisions.name),
  ABUSE_ACTIONS_TOPIC: name(topics.accountActions.name),
  ABUSE_NOTICES_TOPIC: name(topics.emailNotifications.name),
  DRIP_GROUP_PREFIX: name('drip'),
  DRIP_ACCOUNTS_TOPIC: name(topics.accounts.name),
  DRIP_INSTANCES_TOPIC: name(topics.instances.name),
  DRIP_PAYMENTS_TOPIC: name(topics.payments.name),
  DRIP_BILLING_TOPIC: name(topics.billingHourly.name),
  DRIP_NOTIFICATIONS_TOPIC: name(topics.emailNotifications.name),
  MAILER_GROUP: name('mailer'),
  MAILER_TOPIC: name(topics.emailNotifications.name),
  // `tally prices publish`.
  PRICES_TOPIC: name(topics.prices.name),
});

/** Every Kafka principal of a Tally deployment: one per process that talks to Kafka. */
export const servicePrincipals = [
  'agent',
  'simulator',
  'metering',
  'billing',
  'abuse',
  'drip',
  'mailer',
  'api',
  'operator',
] as const;
export type ServicePrincipal = (typeof servicePrincipals)[number];

/** The groups of @tally/kafka's readToEnd (one-off readers of dead letters and late samples): `tally-reader-<uuid>`. */
export const READER_GROUP_PREFIX = 'tally-reader-';

/** A consumer reads its topics with its groups and dead-letters what it cannot use to `<topic>.dlq`. */
function consumer(
  inputs: readonly { topic: string; group: string }[],
): Required<Pick<ServiceGrants, 'reads' | 'groups' | 'writes'>> {
  return {
    reads: inputs.map((i) => i.topic),
    groups: inputs.map((i) => i.group),
    writes: inputs.map((i) => deadLetterTopicOf(i.topic)),
  };
}

/**
 * What each principal may do on Kafka, derived from the environment the services read (topic and group names) as
 * each service's main.ts uses them:
 * - agent: the host agent writes traffic.samples; simulator: the simulator also stands in for the orchestrator and
 *   customer management (inventory.instances, accounts).
 * - metering, billing, abuse, drip, mailer: READ on their input topics and their exact groups, WRITE on their outputs
 *   (sent directly or through their outbox) and on the dead-letter topic of each input. No transactional ids (no
 *   service uses Kafka transactions, ARCHITECTURE.md invariant 2).
 * - billing also DESCRIBEs traffic.samples: its finalizer compares metering's offsets with that topic's ends.
 * - api: its operator views (the CLI's `status`, `dlq list`, `late list`) DESCRIBE every consumer service's input
 *   topics, dead-letter topics and groups (lag), READ every dead-letter topic and the late-samples topic with
 *   one-off reader groups; it writes nothing.
 * - operator: `tally prices publish` writes prices (other CLI commands are for the admin principal).
 *
 * @example
 * serviceGrants({}).mailer;
 * // { reads: ['notifications.email.v1'], groups: ['mailer'], writes: ['notifications.email.v1.dlq'] }
 */
export function serviceGrants(env: NodeJS.ProcessEnv = process.env): Record<ServicePrincipal, ServiceGrants> {
  const parsed = serviceNamesEnv.safeParse(env);
  if (!parsed.success) {
    throw new Error(`invalid topic or group names: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  }
  const n = parsed.data;

  const metering = consumer([
    { topic: n.METERING_SAMPLES_TOPIC, group: n.METERING_GROUP },
    { topic: n.METERING_INSTANCES_TOPIC, group: n.METERING_INVENTORY_GROUP },
  ]);
  const billingGroup = (suffix: string) => `${n.BILLING_GROUP}${suffix}`;
  const billingInputs = [
    { topic: n.BILLING_USAGE_TOPIC, group: billingGroup('') },
    { topic: n.BILLING_PRICES_TOPIC, group: billingGroup('-prices') },
    { topic: n.BILLING_ACCOUNTS_TOPIC, group: billingGroup('-accounts') },
    { topic: n.BILLING_PAYMENTS_TOPIC, group: billingGroup('-payments') },
  ];
  const billing = consumer(billingInputs);
  const abuseGroup = (suffix: string) => `${n.ABUSE_GROUP}-${suffix}`;
  const abuse = consumer([
    { topic: n.ABUSE_ACCOUNTS_TOPIC, group: abuseGroup('accounts') },
    { topic: n.ABUSE_USAGE_TOPIC, group: abuseGroup('usage') },
    { topic: n.ABUSE_BILLING_HOURLY_TOPIC, group: abuseGroup('billing-hourly') },
    { topic: n.ABUSE_PAYMENTS_TOPIC, group: abuseGroup('payments') },
    { topic: n.ABUSE_INVOICES_TOPIC, group: abuseGroup('invoices') },
  ]);
  const dripGroup = (suffix: string) => `${n.DRIP_GROUP_PREFIX}-${suffix}`;
  const drip = consumer([
    { topic: n.DRIP_ACCOUNTS_TOPIC, group: dripGroup('accounts') },
    { topic: n.DRIP_INSTANCES_TOPIC, group: dripGroup('instances') },
    { topic: n.DRIP_PAYMENTS_TOPIC, group: dripGroup('payments') },
    { topic: n.DRIP_BILLING_TOPIC, group: dripGroup('billing') },
  ]);
  const mailer = consumer([{ topic: n.MAILER_TOPIC, group: n.MAILER_GROUP }]);

  // The API's lag view covers the groups `tally status` covers (the CLI's replayTargets: every consumer service).
  const inputsOf = (grants: ReturnType<typeof consumer>) =>
    grants.reads.map((topic, i) => ({ topic, group: grants.groups[i]! }));
  const watched = [metering, billing, abuse, drip, mailer].flatMap(inputsOf);
  // consumer() grants a consumer's dead-letter topics as its only writes.
  const deadLetters = [metering, billing, abuse, drip, mailer].flatMap((grants) => grants.writes);
  const unique = (names: readonly string[]) => [...new Set(names)];

  return {
    agent: { writes: [n.AGENT_SAMPLES_TOPIC] },
    simulator: { writes: unique([n.AGENT_SAMPLES_TOPIC, n.AGENT_INSTANCES_TOPIC, n.AGENT_ACCOUNTS_TOPIC]) },
    metering: { ...metering, writes: unique([n.METERING_USAGE_TOPIC, n.METERING_LATE_TOPIC, ...metering.writes]) },
    billing: {
      ...billing,
      writes: unique([n.BILLING_HOURLY_TOPIC, n.BILLING_INVOICES_TOPIC, ...billing.writes]),
      ...(n.BILLING_FINALIZE_WAIT_FOR_METERING === 'true' ? { describes: [n.BILLING_SAMPLES_TOPIC] } : {}),
    },
    abuse: {
      ...abuse,
      writes: unique([n.ABUSE_DECISIONS_TOPIC, n.ABUSE_ACTIONS_TOPIC, n.ABUSE_NOTICES_TOPIC, ...abuse.writes]),
    },
    drip: { ...drip, writes: unique([n.DRIP_NOTIFICATIONS_TOPIC, ...drip.writes]) },
    mailer,
    api: {
      reads: unique([...deadLetters, n.METERING_LATE_TOPIC]),
      describes: unique(watched.map((w) => w.topic)),
      describeGroups: unique(watched.map((w) => w.group)),
      groupPrefixes: [READER_GROUP_PREFIX],
    },
    operator: { writes: [n.PRICES_TOPIC] },
  };
}
