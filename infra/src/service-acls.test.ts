import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deadLetterTopicOf, topics } from '@tally/kafka';
import { AclOperationTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
// The services' own config schemas: a topic one of them adds without an ACL here fails this test.
import { abuseEnv } from '../../services/abuse/src/config.ts';
import { hostConfigFile } from '../../services/agent/src/host/host-config.ts';
import { simulatorEnv } from '../../services/agent/src/simulator-config.ts';
import { billingEnv } from '../../services/billing/src/config.ts';
import { replayTargets } from '../../services/cli/src/replay-targets.ts';
import { dripEnv } from '../../services/drip/src/config.ts';
import { mailerEnv } from '../../services/mailer/src/config.ts';
import { meteringEnv } from '../../services/metering/src/config.ts';
import { READER_GROUP_PREFIX, serviceAcls, serviceGrants, type ServiceGrants } from './service-acls.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));

describe('serviceAcls', () => {
  it('allows exactly the topics and groups named, for that principal only', () => {
    const acls = serviceAcls('billing', {
      writes: ['billing.hourly.v1'],
      reads: ['usage.hourly.v1'],
      describes: ['traffic.samples.v1'],
      groups: ['billing'],
      groupPrefixes: ['billing-'],
      describeGroups: ['metering'],
    });
    expect(acls.map((a) => [a.principal, a.resourceType, a.resourceName, a.resourcePatternType, a.operation])).toEqual([
      [
        'User:billing',
        AclResourceTypes.TOPIC,
        'billing.hourly.v1',
        ResourcePatternTypes.LITERAL,
        AclOperationTypes.WRITE,
      ],
      ['User:billing', AclResourceTypes.TOPIC, 'usage.hourly.v1', ResourcePatternTypes.LITERAL, AclOperationTypes.READ],
      [
        'User:billing',
        AclResourceTypes.TOPIC,
        'traffic.samples.v1',
        ResourcePatternTypes.LITERAL,
        AclOperationTypes.DESCRIBE,
      ],
      ['User:billing', AclResourceTypes.GROUP, 'billing', ResourcePatternTypes.LITERAL, AclOperationTypes.READ],
      ['User:billing', AclResourceTypes.GROUP, 'billing-', ResourcePatternTypes.PREFIXED, AclOperationTypes.READ],
      ['User:billing', AclResourceTypes.GROUP, 'metering', ResourcePatternTypes.LITERAL, AclOperationTypes.DESCRIBE],
    ]);
  });

  it('grants nothing for no grants (the authorizer then refuses everything)', () => {
    expect(serviceAcls('agent', {})).toEqual([]);
  });

  // kafkajs is CommonJS: Node finds no named export AclOperationTypes, where vitest's interop does.
  it('imports under plain node, not only under vitest', () => {
    const script = [
      "const { serviceAcls } = await import('./infra/src/service-acls.ts');",
      "console.log(JSON.stringify(serviceAcls('agent', { writes: ['t'] })));",
    ].join('\n');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([
      {
        resourceType: AclResourceTypes.TOPIC,
        resourceName: 't',
        resourcePatternType: ResourcePatternTypes.LITERAL,
        principal: 'User:agent',
        host: '*',
        operation: AclOperationTypes.WRITE,
        permissionType: 3, // ALLOW
      },
    ]);
    // Node loads @tally/kafka and kafkajs from source: seconds on a busy machine.
  }, 30_000);
});

/** Every topic a principal's grants name, whatever the right. */
const granted = (g: ServiceGrants) => new Set([...(g.reads ?? []), ...(g.writes ?? []), ...(g.describes ?? [])]);

/** Each `*_TOPIC` (and group) variable of `schema` set to a name of its own, so a grant taken from a default shows. */
function renamedEnv(schema: z.ZodObject): Record<string, string> {
  const keys = Object.keys(schema.shape);
  const named = (prefix: string, names: string[]) =>
    names.map((k): [string, string] => [k, `${prefix}.${k.toLowerCase()}`]);
  return Object.fromEntries([
    ...named(
      't',
      keys.filter((k) => k.endsWith('_TOPIC')),
    ),
    ...named(
      'g',
      keys.filter((k) => /_GROUP(_PREFIX)?$/.test(k)),
    ),
  ]);
}

/** The consumer services: their config schema and the principal they run as. */
const consumers = [
  { service: 'metering', principal: 'metering', schema: meteringEnv },
  { service: 'billing', principal: 'billing', schema: billingEnv },
  { service: 'abuse', principal: 'abuse', schema: abuseEnv },
  { service: 'drip', principal: 'drip', schema: dripEnv },
  { service: 'mailer', principal: 'mailer', schema: mailerEnv },
] as const;

/**
 * How each service's Kafka use is checked below; a service that starts using Kafka without an entry here fails
 * "every service that talks to Kafka has its ACLs checked".
 */
const checked = new Set<string>([...consumers.map((c) => c.service), 'agent', 'api', 'cli']);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.ts$/.test(entry) && !/\.test\.ts$/.test(entry) ? [path] : [];
  });
}

describe('serviceGrants', () => {
  it('every service that talks to Kafka has its ACLs checked', () => {
    const services = readdirSync(join(repo, 'services')).filter((s) => {
      const src = join(repo, 'services', s, 'src');
      return sources(src).some((file) => /from '(kafkajs|@tally\/kafka)'/.test(readFileSync(file, 'utf8')));
    });
    expect(services.sort()).toEqual([...checked].sort());
  });

  for (const { service, principal, schema } of consumers) {
    it(`${service}: each topic of its config granted, dead letters of its inputs, groups from its config`, () => {
      const env = renamedEnv(schema);
      const config = schema.parse(env) as Record<string, unknown>;
      const topicsNamed = Object.keys(env)
        .filter((k) => k.endsWith('_TOPIC'))
        .map((k) => config[k]);
      const grants = serviceGrants(env)[principal];
      expect([...granted(grants)].filter((t) => !t.endsWith('.dlq')).sort()).toEqual([...new Set(topicsNamed)].sort());
      expect(grants.reads?.length).toBeGreaterThan(0);
      for (const input of grants.reads ?? []) expect(grants.writes).toContain(deadLetterTopicOf(input));
      // Dead letters only of what it reads: nothing else of someone else's.
      const deadLetters = (grants.writes ?? []).filter((t) => t.endsWith('.dlq'));
      expect(deadLetters.sort()).toEqual((grants.reads ?? []).map(deadLetterTopicOf).sort());
      const groupValues = Object.keys(env)
        .filter((k) => k.includes('_GROUP'))
        .map((k) => String(config[k]));
      expect(grants.groups?.length).toBe(grants.reads?.length);
      for (const group of grants.groups ?? [])
        expect(
          groupValues.some((v) => group.startsWith(v)),
          group,
        ).toBe(true);
      expect(grants.groupPrefixes ?? []).toEqual([]);
    });
  }

  it('consumer groups as the services form them (main.ts), with the catalog topics by default', () => {
    const grants = serviceGrants({});
    expect(grants.abuse.groups).toEqual([
      'abuse-accounts',
      'abuse-usage',
      'abuse-billing-hourly',
      'abuse-payments',
      'abuse-invoices',
    ]);
    expect(grants.abuse.writes).toEqual([
      topics.abuseDecisions.name,
      topics.accountActions.name,
      topics.emailNotifications.name,
      ...[topics.accounts, topics.usageHourly, topics.billingHourly, topics.payments, topics.invoices].map((t) =>
        deadLetterTopicOf(t.name),
      ),
    ]);
    expect(grants.drip.groups).toEqual(['drip-accounts', 'drip-instances', 'drip-payments', 'drip-billing']);
    expect(grants.drip.writes?.[0]).toBe(topics.emailNotifications.name);
    expect(grants.mailer).toEqual({
      reads: [topics.emailNotifications.name],
      groups: ['mailer'],
      writes: [deadLetterTopicOf(topics.emailNotifications.name)],
    });
    expect(grants.metering.groups).toEqual(['metering', 'metering-inventory']);
    expect(grants.billing.groups).toEqual(['billing', 'billing-prices', 'billing-accounts', 'billing-payments']);
    // Billing only looks at the ends of traffic.samples, and not at all when no metering feeds it.
    expect(grants.billing.describes).toEqual([topics.trafficSamples.name]);
    expect(serviceGrants({ BILLING_FINALIZE_WAIT_FOR_METERING: 'false' }).billing.describes).toBeUndefined();
  });

  it('agent: the host agent writes only samples, the simulator also the orchestrator and customer topics', () => {
    const env = renamedEnv(simulatorEnv);
    const config = simulatorEnv.parse(env) as Record<string, unknown>;
    const grants = serviceGrants(env);
    expect([...granted(grants.simulator)].sort()).toEqual(
      Object.keys(env)
        .map((k) => config[k])
        .sort(),
    );
    expect(grants.simulator.reads ?? []).toEqual([]);
    expect(serviceGrants({}).agent).toEqual({ writes: [hostConfigFile.parse({}).samplesTopic] });
  });

  it('api: describes what tally status shows, reads dead letters and late samples, writes nothing', () => {
    const env = { ...renamedEnv(meteringEnv), ...renamedEnv(billingEnv), ...renamedEnv(abuseEnv) };
    Object.assign(env, renamedEnv(dripEnv), renamedEnv(mailerEnv));
    const grants = serviceGrants(env);
    const api = grants.api;
    expect(api.writes ?? []).toEqual([]);
    expect(api.groups ?? []).toEqual([]);
    for (const target of replayTargets(env)) {
      expect(api.describes).toContain(target.topic);
      expect(api.describeGroups).toContain(target.group);
    }
    for (const { principal } of consumers) {
      for (const input of grants[principal].reads ?? []) expect(api.reads).toContain(deadLetterTopicOf(input));
    }
    expect(api.reads).toContain(meteringEnv.parse(env).METERING_LATE_TOPIC);
    expect(api.groupPrefixes).toEqual([READER_GROUP_PREFIX]);
    // The prefix readToEnd gives its groups.
    expect(readFileSync(join(repo, 'libs/kafka/src/read-to-end.ts'), 'utf8')).toContain(
      `groupId: \`${READER_GROUP_PREFIX}\${randomUUID()}\``,
    );
  });

  it('operator: tally prices publish writes the prices topic, nothing else', () => {
    expect(serviceGrants({ PRICES_TOPIC: 't.prices' }).operator).toEqual({ writes: ['t.prices'] });
  });

  it('a blank topic name is refused, as the services refuse it', () => {
    expect(() => serviceGrants({ ABUSE_USAGE_TOPIC: '' })).toThrow(/ABUSE_USAGE_TOPIC/);
  });
});
