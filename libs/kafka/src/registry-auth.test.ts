import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, ensureRegistryReady } from './registry.ts';

const PASSWORD = 'reg-Pa55word';
const expected = `Basic ${Buffer.from(`billing:${PASSWORD}`).toString('base64')}`;
const dir = mkdtempSync(join(tmpdir(), 'tally-registry-auth-'));
const passwordFile = join(dir, 'password');
writeFileSync(passwordFile, `${PASSWORD}\n`);
const seen: (string | undefined)[] = [];
let server: Server;
let base: string;

// A registry that answers only with the right basic auth: /subjects and one subject's latest version.
beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push(request.headers.authorization);
    if (request.headers.authorization !== expected) {
      response
        .writeHead(401, { 'content-type': 'application/json' })
        .end('{"error_code":401,"message":"Unauthorized"}');
      return;
    }
    const body = request.url?.endsWith('/subjects')
      ? []
      : { subject: 'usage-value', version: 1, id: 7, schema: '{"type":"string"}' };
    response.writeHead(200, { 'content-type': 'application/vnd.schemaregistry.v1+json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/apis/ccompat/v7`;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('registry basic auth', () => {
  it('sends the user and the password file of the environment, through both of the clients', async () => {
    const registry = createRegistry(base, {
      SCHEMA_REGISTRY_USERNAME: 'billing',
      SCHEMA_REGISTRY_PASSWORD_FILE: passwordFile,
    });
    await expect(ensureRegistryReady(registry, ['usage'], { timeoutMs: 0 })).resolves.toBeUndefined();
    await expect(registry.getLatestSchemaId('usage-value')).resolves.toBe(7);
    expect(seen.at(-1)).toBe(expected);
  });

  it('takes credentials from the URL too', async () => {
    const registry = createRegistry(base.replace('http://', `http://billing:${PASSWORD}@`), {});
    await expect(registry.getLatestSchemaId('usage-value')).resolves.toBe(7);
  });

  it('fails without them or with a wrong one, naming the URL but no password', async () => {
    const wrong = createRegistry(base.replace('http://', 'http://billing:Wr0ngPass@'), {});
    const error = await ensureRegistryReady(wrong, ['usage'], { timeoutMs: 0 }).then(
      () => new Error('resolved'),
      (e: unknown) => e as Error,
    );
    expect(error.message).toMatch(/not usable: GET \/subjects answered 401/);
    expect(error.message).toContain(base);
    expect(error.message).not.toContain('Wr0ngPass');
    const mapped = await wrong.getLatestSchemaId('usage-value').catch((e: unknown) => e as Error);
    expect(String(mapped)).not.toContain('Wr0ngPass');
    await expect(ensureRegistryReady(createRegistry(base, {}), ['usage'], { timeoutMs: 0 })).rejects.toThrow(/401/);
  });

  it('refuses a user without a password file', () => {
    expect(() => createRegistry(base, { SCHEMA_REGISTRY_USERNAME: 'billing' })).toThrow(/go together/);
  });
});
