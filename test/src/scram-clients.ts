/**
 * Clients of a secure broker (infra/src/secure-broker.ts) as a deployment has them: one SCRAM principal per service,
 * its password in a file, TLS trusting the broker's CA.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SecureBroker, SecureBrokerUser } from '@tally/infra';

/** A SCRAM principal with a random password, to pass to startSecureBroker. */
export function scramUser(name: string): SecureBrokerUser {
  return { name, password: randomBytes(12).toString('hex') };
}

/**
 * The environment of a deployed client of `user`: TLS trusting the broker's CA, SCRAM-SHA-512 with the password in a
 * file `<user>.password` written (mode 600) into `dir`.
 */
export async function scramClientEnv(
  broker: SecureBroker,
  user: SecureBrokerUser,
  dir: string,
): Promise<Record<string, string>> {
  const passwordFile = join(dir, `${user.name}.password`);
  await writeFile(passwordFile, `${user.password}\n`, { mode: 0o600 });
  return {
    KAFKA_BROKERS: broker.brokers.join(','),
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: broker.caFile,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: user.name,
    KAFKA_SASL_PASSWORD_FILE: passwordFile,
  };
}
