import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaSecurityFromEnv } from './client-security.ts';

const dir = mkdtempSync(join(tmpdir(), 'tally-kafka-security-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('kafkaSecurityFromEnv', () => {
  it('is plaintext when nothing is set', () => {
    expect(kafkaSecurityFromEnv({})).toEqual({});
  });

  it('reads TLS material and the SASL password from files', () => {
    const env = {
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: file('ca.pem', 'CA PEM'),
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'billing',
      KAFKA_SASL_PASSWORD_FILE: file('password', 's3cret\n'),
    };
    expect(kafkaSecurityFromEnv(env)).toEqual({
      ssl: { ca: ['CA PEM'] },
      sasl: { mechanism: 'scram-sha-512', username: 'billing', password: 's3cret' },
    });
    expect(kafkaSecurityFromEnv({ ...env, KAFKA_SASL_MECHANISM: 'plain' }).sasl).toMatchObject({ mechanism: 'plain' });
  });

  it('refuses half a configuration, and SASL without a word on TLS', () => {
    const password = file('pw', 'x');
    expect(() => kafkaSecurityFromEnv({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SSL: 'true' })).toThrowError(
      /KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD_FILE/,
    );
    expect(() => kafkaSecurityFromEnv({ KAFKA_SASL_USERNAME: 'a', KAFKA_SASL_PASSWORD_FILE: password })).toThrowError(
      /need KAFKA_SASL_MECHANISM/,
    );
    expect(() =>
      kafkaSecurityFromEnv({
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'a',
        KAFKA_SASL_PASSWORD_FILE: password,
      }),
    ).toThrowError(/in clear/);
    expect(() => kafkaSecurityFromEnv({ KAFKA_SSL: 'yes' })).toThrowError(/KAFKA_SSL/);
    expect(() => kafkaSecurityFromEnv({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: password })).toThrowError(
      /go together/,
    );
  });

  it('names an unreadable secret file without quoting any secret', () => {
    expect(() =>
      kafkaSecurityFromEnv({
        KAFKA_SSL: 'true',
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'a',
        KAFKA_SASL_PASSWORD_FILE: join(dir, 'missing'),
      }),
    ).toThrowError(/KAFKA_SASL_PASSWORD_FILE: cannot read .*missing: ENOENT/);
  });
});
