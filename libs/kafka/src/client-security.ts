import { readFileSync } from 'node:fs';
import { loadConfig } from '@tally/config';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import { z } from 'zod';

/**
 * How a client authenticates to the broker, from the environment; secrets only from files (`*_FILE`), so they never
 * sit in the environment of a process listing or in a log of it.
 *
 * - `KAFKA_SSL=true`: TLS; `KAFKA_SSL_CA_FILE` adds a CA (PEM) to trust, `KAFKA_SSL_CERT_FILE` and
 *   `KAFKA_SSL_KEY_FILE` a client certificate.
 * - `KAFKA_SASL_MECHANISM` (`scram-sha-512`, `scram-sha-256`, `plain`) with `KAFKA_SASL_USERNAME` and
 *   `KAFKA_SASL_PASSWORD_FILE`. SASL without TLS is refused unless `KAFKA_SSL=false` is said explicitly, since PLAIN
 *   would send the password in clear.
 */
export const kafkaSecurityEnv = z
  .object({
    KAFKA_SSL: z.enum(['true', 'false']).optional(),
    KAFKA_SSL_CA_FILE: z.string().optional(),
    KAFKA_SSL_CERT_FILE: z.string().optional(),
    KAFKA_SSL_KEY_FILE: z.string().optional(),
    KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
    KAFKA_SASL_USERNAME: z.string().optional(),
    KAFKA_SASL_PASSWORD_FILE: z.string().optional(),
  })
  .superRefine((env, ctx) => {
    const sasl = env.KAFKA_SASL_MECHANISM !== undefined;
    if (sasl && (env.KAFKA_SASL_USERNAME === undefined || env.KAFKA_SASL_PASSWORD_FILE === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'KAFKA_SASL_MECHANISM needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD_FILE',
      });
    }
    if (!sasl && (env.KAFKA_SASL_USERNAME !== undefined || env.KAFKA_SASL_PASSWORD_FILE !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'KAFKA_SASL_USERNAME / _PASSWORD_FILE need KAFKA_SASL_MECHANISM' });
    }
    if (sasl && env.KAFKA_SSL === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'SASL without KAFKA_SSL=true sends credentials in clear: set KAFKA_SSL',
      });
    }
    if ((env.KAFKA_SSL_CERT_FILE === undefined) !== (env.KAFKA_SSL_KEY_FILE === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together' });
    }
  });

export type KafkaSecurity = Pick<KafkaConfig, 'ssl' | 'sasl'>;

function secretFile(path: string, name: string): string {
  try {
    // One trailing newline is the file's, not the secret's.
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new Error(`${name}: cannot read ${path}: ${(error as { code?: string }).code ?? String(error)}`);
  }
}

/**
 * The kafkajs `ssl` and `sasl` options the environment asks for; `{}` (plaintext) when it asks for none.
 *
 * @example
 * kafkaSecurityFromEnv({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'billing',
 *   KAFKA_SASL_PASSWORD_FILE: '/run/secrets/kafka' }); // { ssl: {}, sasl: { mechanism: 'scram-sha-512', … } }
 */
export function kafkaSecurityFromEnv(processEnv: NodeJS.ProcessEnv = process.env): KafkaSecurity {
  const env = loadConfig(kafkaSecurityEnv, processEnv);
  const security: KafkaSecurity = {};
  if (env.KAFKA_SSL === 'true') {
    security.ssl = {
      ...(env.KAFKA_SSL_CA_FILE === undefined ? {} : { ca: [secretFile(env.KAFKA_SSL_CA_FILE, 'KAFKA_SSL_CA_FILE')] }),
      ...(env.KAFKA_SSL_CERT_FILE === undefined || env.KAFKA_SSL_KEY_FILE === undefined
        ? {}
        : {
            cert: secretFile(env.KAFKA_SSL_CERT_FILE, 'KAFKA_SSL_CERT_FILE'),
            key: secretFile(env.KAFKA_SSL_KEY_FILE, 'KAFKA_SSL_KEY_FILE'),
          }),
    };
  }
  if (
    env.KAFKA_SASL_MECHANISM !== undefined &&
    env.KAFKA_SASL_USERNAME !== undefined &&
    env.KAFKA_SASL_PASSWORD_FILE !== undefined
  ) {
    const credentials = {
      username: env.KAFKA_SASL_USERNAME,
      password: secretFile(env.KAFKA_SASL_PASSWORD_FILE, 'KAFKA_SASL_PASSWORD_FILE'),
    };
    const sasl: SASLOptions =
      env.KAFKA_SASL_MECHANISM === 'plain'
        ? { mechanism: 'plain', ...credentials }
        : env.KAFKA_SASL_MECHANISM === 'scram-sha-256'
          ? { mechanism: 'scram-sha-256', ...credentials }
          : { mechanism: 'scram-sha-512', ...credentials };
    security.sasl = sasl;
  }
  return security;
}
