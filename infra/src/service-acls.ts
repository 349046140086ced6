import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
  type Admin,
  type AclEntry,
} from 'kafkajs';

/** What one principal may do: the topics it writes, the topics it reads, and the consumer groups it reads with. */
export interface ServiceGrants {
  writes?: readonly string[];
  reads?: readonly string[];
  /** Topics whose ends it only looks at (billing's finalizer watches traffic.samples). */
  describes?: readonly string[];
  /** Exact group ids. */
  groups?: readonly string[];
  /** Group id prefixes (billing's groups are `<BILLING_GROUP>`, `<BILLING_GROUP>-prices`, …). */
  groupPrefixes?: readonly string[];
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
    resourceType: AclResourceTypes,
    resourceName: string,
    resourcePatternType: ResourcePatternTypes,
    operation: AclOperationTypes,
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
  return [
    ...(grants.writes ?? []).map((topic) => entry(TOPIC, topic, LITERAL, AclOperationTypes.WRITE)),
    ...(grants.reads ?? []).map((topic) => entry(TOPIC, topic, LITERAL, AclOperationTypes.READ)),
    ...(grants.describes ?? []).map((topic) => entry(TOPIC, topic, LITERAL, AclOperationTypes.DESCRIBE)),
    ...(grants.groups ?? []).map((group) => entry(GROUP, group, LITERAL, AclOperationTypes.READ)),
    ...(grants.groupPrefixes ?? []).map((prefix) => entry(GROUP, prefix, PREFIXED, AclOperationTypes.READ)),
  ];
}

/** Creates the ACLs of every principal in `grants` (by principal name) through an admin client of a super user. */
export async function grantServiceAcls(admin: Admin, grants: Readonly<Record<string, ServiceGrants>>): Promise<void> {
  const acl = Object.entries(grants).flatMap(([principal, g]) => serviceAcls(principal, g));
  if (acl.length > 0) await admin.createAcls({ acl });
}
