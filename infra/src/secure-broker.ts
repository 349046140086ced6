import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaSecurity } from '@tally/kafka';
import type { Logger } from '@tally/log';
import { daemon, stopDaemon } from './daemon.ts';
import { startKafka } from './kafka-broker.ts';
import { freePortPair } from './private-broker.ts';
import { run } from './run-command.ts';
import { waitUntil } from './wait-until.ts';

export interface SecureBrokerUser {
  name: string;
  password: string;
}

/**
 * A private broker as production should run one: a SASL_SSL listener only (SCRAM-SHA-512 and PLAIN), a certificate
 * from a CA made for it, KRaft's StandardAuthorizer with no access where no ACL allows it. `admin` is the super
 * user; the others start with no rights at all (grant them with ACLs).
 */
export interface SecureBroker {
  brokers: string[];
  /** The CA certificate (PEM) clients must trust. */
  caFile: string;
  admin: SecureBrokerUser;
  /** kafkajs options for `user` with `mechanism`. */
  security(user: SecureBrokerUser, mechanism: 'scram-sha-512' | 'plain'): KafkaSecurity;
  stop(): Promise<void>;
}

const secret = () => randomBytes(12).toString('hex');

/** A CA, a broker key and certificate for 127.0.0.1 signed by it, as PKCS12 key and trust stores. */
async function makeCertificates(dir: string, storePassword: string): Promise<{ caFile: string }> {
  const p = (name: string) => join(dir, name);
  await run(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=tally-test-ca'].concat([
      '-keyout',
      p('ca.key'),
      '-out',
      p('ca.pem'),
    ]),
  );
  await run(
    'openssl',
    ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1'].concat([
      '-keyout',
      p('broker.key'),
      '-out',
      p('broker.csr'),
    ]),
  );
  writeFileSync(p('san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run(
    'openssl',
    ['x509', '-req', '-days', '2', '-in', p('broker.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key')].concat([
      '-CAcreateserial',
      '-extfile',
      p('san.cnf'),
      '-out',
      p('broker.pem'),
    ]),
  );
  await run(
    'openssl',
    ['pkcs12', '-export', '-name', 'broker', '-in', p('broker.pem'), '-inkey', p('broker.key')].concat([
      '-certfile',
      p('ca.pem'),
      '-out',
      p('broker.p12'),
      '-passout',
      `pass:${storePassword}`,
    ]),
  );
  await run(
    'keytool',
    ['-importcert', '-noprompt', '-alias', 'ca', '-file', p('ca.pem'), '-storetype', 'PKCS12'].concat([
      '-keystore',
      p('trust.p12'),
      '-storepass',
      storePassword,
    ]),
  );
  return { caFile: p('ca.pem') };
}

function jaas(module: 'scram.ScramLoginModule' | 'plain.PlainLoginModule', fields: Record<string, string>): string {
  const options = Object.entries(fields).map(([key, value]) => `${key}="${value}"`);
  return `org.apache.kafka.common.security.${module} required ${options.join(' ')};`;
}

export async function startSecureBroker(
  name: string,
  users: readonly SecureBrokerUser[],
  log: Logger,
  timeoutMs = 120_000,
): Promise<SecureBroker> {
  const port = await freePortPair(31_092 + Math.floor(Math.random() * 200) * 2);
  const d = daemon(`secure-kafka/${name}`);
  const tls = join(d.dir, 'tls');
  mkdirSync(tls, { recursive: true });
  const storePassword = secret();
  const { caFile } = await makeCertificates(tls, storePassword);
  const admin = { name: 'admin', password: secret() };
  const everyone = [admin, ...users];
  const properties = [
    `listeners=SASL_SSL://127.0.0.1:${port},CONTROLLER://127.0.0.1:${port + 1}`,
    `advertised.listeners=SASL_SSL://127.0.0.1:${port}`,
    // The controller listener stays plaintext on 127.0.0.1 (KRaft's controller cannot check SCRAM credentials it
    // keeps itself); its anonymous principal is the broker talking to its own controller.
    'listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=SASL_SSL',
    'sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${jaas('scram.ScramLoginModule', { username: admin.name, password: admin.password })}`,
    `listener.name.sasl_ssl.plain.sasl.jaas.config=${jaas('plain.PlainLoginModule', {
      username: admin.name,
      password: admin.password,
      ...Object.fromEntries(everyone.map((user) => [`user_${user.name}`, user.password])),
    })}`,
    'ssl.keystore.type=PKCS12',
    `ssl.keystore.location=${join(tls, 'broker.p12')}`,
    `ssl.keystore.password=${storePassword}`,
    `ssl.key.password=${storePassword}`,
    'ssl.truststore.type=PKCS12',
    `ssl.truststore.location=${join(tls, 'trust.p12')}`,
    `ssl.truststore.password=${storePassword}`,
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    `super.users=User:${admin.name};User:ANONYMOUS`,
    'allow.everyone.if.no.acl.found=false',
  ];
  const formatArgs = everyone.flatMap((user) => [
    '--add-scram',
    `SCRAM-SHA-512=[name=${user.name},password=${user.password}]`,
  ]);
  const brokers = [`127.0.0.1:${port}`];
  const ca = readFileSync(caFile, 'utf8');
  const security = (user: SecureBrokerUser, mechanism: 'scram-sha-512' | 'plain'): KafkaSecurity => ({
    ssl: { ca: [ca] },
    sasl:
      mechanism === 'plain'
        ? { mechanism, username: user.name, password: user.password }
        : { mechanism, username: user.name, password: user.password },
  });
  await startKafka(log, port, port + 1, d, undefined, { properties, formatArgs });
  await waitUntil(
    `secure Kafka broker ${name}`,
    async () => {
      const probe = new Kafka({
        clientId: 'tally-probe',
        brokers,
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
        connectionTimeout: 3000,
        ...security(admin, 'scram-sha-512'),
      }).admin();
      try {
        await probe.connect();
        return (await probe.describeCluster()).brokers.length > 0;
      } finally {
        await probe.disconnect();
      }
    },
    timeoutMs,
    `see ${d.dir}/server.log`,
  );
  return { brokers, caFile, admin, security, stop: async () => void (await stopDaemon(d)) };
}
