/**
 * Kafka over TLS with SASL and ACLs, on a private real broker (SASL_SSL listener only, StandardAuthorizer, nothing
 * allowed without an ACL): each service's principal writes its own topic and is refused another's; a client without
 * credentials, with a wrong password, or without trusting the broker's CA gets nowhere. The services' own client
 * (createKafka with the environment's KAFKA_SSL / KAFKA_SASL_* and a password file) is the one tested.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  logLevel,
  ResourcePatternTypes,
} from 'kafkajs';
import { createKafka, kafkaSecurityFromEnv, type KafkaSecurity } from '@tally/kafka';
import { createLogger } from '@tally/log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDir } from './paths.ts';
import { startSecureBroker, type SecureBroker, type SecureBrokerUser } from './secure-broker.ts';

const log = createLogger('secure-broker-test', 'error');
const run = randomBytes(4).toString('hex');
const metering: SecureBrokerUser = { name: 'metering', password: randomBytes(12).toString('hex') };
const billing: SecureBrokerUser = { name: 'billing', password: randomBytes(12).toString('hex') };
const usageTopic = `sec.${run}.usage`;
const hourlyTopic = `sec.${run}.billing-hourly`;
const secrets = mkdtempSync(join(tmpdir(), 'tally-secrets-'));
let broker: SecureBroker;

/** A client that gives up at once: the refusals under test are not transient. */
function quickClient(security: KafkaSecurity): Kafka {
  return new Kafka({
    clientId: 'secure-test',
    brokers: broker.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 3000,
    authenticationTimeout: 3000,
    ...security,
  });
}

/** 'ok', or the kafkajs error's type / name. */
async function send(kafka: Kafka, topic: string): Promise<string> {
  const producer = kafka.producer({ retry: { retries: 0 } });
  try {
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'v' }] });
    return 'ok';
  } catch (error) {
    const e = error as { type?: string; name?: string; cause?: { type?: string } };
    return e.type ?? e.cause?.type ?? e.name ?? String(error);
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

/** The environment a deployed service would have: CA and password as files. */
function serviceEnv(user: SecureBrokerUser, mechanism: string): NodeJS.ProcessEnv {
  const passwordFile = join(secrets, `${user.name}-${mechanism}`);
  writeFileSync(passwordFile, `${user.password}\n`, { mode: 0o600 });
  return {
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: broker.caFile,
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: user.name,
    KAFKA_SASL_PASSWORD_FILE: passwordFile,
  };
}

beforeAll(async () => {
  broker = await startSecureBroker(`acl-${run}`, [metering, billing], log, 80_000);
  const admin = createKafka(
    'secure-admin',
    broker.brokers,
    log,
    broker.security(broker.admin, 'scram-sha-512'),
  ).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [usageTopic, hourlyTopic].map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })),
    });
    const write = (principal: string, topic: string) => ({
      resourceType: AclResourceTypes.TOPIC,
      resourceName: topic,
      resourcePatternType: ResourcePatternTypes.LITERAL,
      principal: `User:${principal}`,
      host: '*',
      operation: AclOperationTypes.WRITE,
      permissionType: AclPermissionTypes.ALLOW,
    });
    await admin.createAcls({ acl: [write(metering.name, usageTopic), write(billing.name, hourlyTopic)] });
  } finally {
    await admin.disconnect();
  }
}, 100_000);

afterAll(async () => {
  await broker?.stop();
  rmSync(join(runDir, 'secure-kafka', `acl-${run}`), { recursive: true, force: true });
  rmSync(secrets, { recursive: true, force: true });
});

describe('a SASL_SSL broker with ACLs', () => {
  it('lets metering (SCRAM-SHA-512) write usage, and refuses it billing.hourly', async () => {
    const kafka = createKafka(
      'metering',
      broker.brokers,
      log,
      kafkaSecurityFromEnv(serviceEnv(metering, 'scram-sha-512')),
    );
    expect(await send(kafka, usageTopic)).toBe('ok');
    expect(await send(quickClient(kafkaSecurityFromEnv(serviceEnv(metering, 'scram-sha-512'))), hourlyTopic)).toBe(
      'TOPIC_AUTHORIZATION_FAILED',
    );
  });

  it('lets billing (PLAIN over TLS) write billing.hourly, and refuses it usage', async () => {
    const kafka = createKafka('billing', broker.brokers, log, kafkaSecurityFromEnv(serviceEnv(billing, 'plain')));
    expect(await send(kafka, hourlyTopic)).toBe('ok');
    expect(await send(quickClient(kafkaSecurityFromEnv(serviceEnv(billing, 'plain'))), usageTopic)).toBe(
      'TOPIC_AUTHORIZATION_FAILED',
    );
  });

  it('refuses a client without credentials, with a wrong password, or that does not trust the CA', async () => {
    const ca = broker.security(metering, 'plain').ssl;
    expect(await send(quickClient(ca === undefined ? {} : { ssl: ca }), usageTopic)).not.toBe('ok');
    expect(await send(quickClient({}), usageTopic)).not.toBe('ok');
    const wrong = { ...metering, password: billing.password };
    expect(await send(quickClient(broker.security(wrong, 'scram-sha-512')), usageTopic)).toBe(
      'KafkaJSSASLAuthenticationError',
    );
    expect(await send(quickClient(broker.security(wrong, 'plain')), usageTopic)).toBe('KafkaJSSASLAuthenticationError');
    const untrusted = { ssl: true, sasl: broker.security(metering, 'scram-sha-512').sasl } as KafkaSecurity;
    expect(await send(quickClient(untrusted), usageTopic)).not.toBe('ok');
  });
});
