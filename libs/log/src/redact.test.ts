import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './index.ts';
import { redactUrl, redactUrlsIn } from './redact.ts';

const SECRET = 'Sup3r-s3cret_pw';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, stream };
}

describe('redactUrlsIn', () => {
  it('drops user info from every URL and leaves the rest', () => {
    expect(redactUrlsIn(`connect postgres://app:${SECRET}@db:5432/x and http://u:p@r:8081/apis failed`)).toBe(
      'connect postgres://db:5432/x and http://r:8081/apis failed',
    );
    expect(redactUrlsIn('postgres://db:5432/x user@example.com')).toBe('postgres://db:5432/x user@example.com');
    expect(redactUrlsIn('postgres://postgres@db:5432/x')).toBe('postgres://postgres@db:5432/x');
    expect(redactUrlsIn('http://:token@r/x')).toBe('http://r/x');
  });

  it('redactUrl removes user and password', () => {
    expect(redactUrl(`http://user:${SECRET}@registry:8081/apis/ccompat/v7`)).toBe(
      'http://registry:8081/apis/ccompat/v7',
    );
    expect(redactUrl('not a url')).not.toContain('not a url');
  });
});

describe('createLogger', () => {
  it('lets no password through: messages, fields, secret-named keys, errors and their causes', async () => {
    const { lines, stream } = capture();
    const log = createLogger('test', 'debug', stream);
    const url = `postgres://app:${SECRET}@db:5432/tally`;
    log.info(`connecting to ${url}`);
    log.info({ databaseUrl: url, nested: { registry: `http://reg:${SECRET}@r:8081` } }, 'config');
    log.warn({ password: SECRET, sasl: { mechanism: 'scram-sha-512', username: 'billing', password: SECRET } }, 'sasl');
    log.info({ config: { DATABASE_URL: `postgres://db/${SECRET}` } }, 'env');
    const cause = new Error(`connect ${url} refused`);
    log.error({ err: new Error(`could not reach ${url}`, { cause }) }, 'crashed');
    log.error({ error: Object.assign(new Error('boom'), { target: url }) }, 'other key');
    log.error(new Error(`at ${url}`));
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(7);
    for (const line of lines) expect(line).not.toContain(SECRET);
    const crashed = JSON.parse(lines[4] ?? '{}') as { err: { type: string; message: string; stack: string } };
    expect(crashed.err.type).toBe('Error');
    expect(crashed.err.message).toBe('could not reach postgres://db:5432/tally');
    expect(crashed.err.stack).toContain('could not reach postgres://db:5432/tally');
    expect(lines[2]).toContain('"username":"billing"');
  });
});
