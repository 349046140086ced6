import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { TopicSpec } from './catalog.ts';
import { valueSubject } from './catalog.ts';
import { redactUrl, registryGet } from './schema-id-lookup.ts';

export type { SchemaRegistry };

/** The base URL each client was made with: the codec asks the registry directly before calling an id unknown. */
const urls = new WeakMap<SchemaRegistry, string>();

/**
 * A registry client. Basic auth comes from the URL's user info or from `SCHEMA_REGISTRY_USERNAME` with
 * `SCHEMA_REGISTRY_PASSWORD_FILE` (a file, so the password is in no environment listing); it is sent as a header and
 * never kept in the host the client reports in its errors. A private CA: `NODE_EXTRA_CA_CERTS`.
 *
 * @example
 * createRegistry('https://registry:8443/apis/ccompat/v7', { SCHEMA_REGISTRY_USERNAME: 'billing',
 *   SCHEMA_REGISTRY_PASSWORD_FILE: '/run/secrets/registry' });
 */
export function createRegistry(url: string, processEnv: NodeJS.ProcessEnv = process.env): SchemaRegistry {
  const withCredentials = registryUrlWithCredentials(url, processEnv);
  const parsed = new URL(withCredentials);
  const auth =
    parsed.username === '' && parsed.password === ''
      ? undefined
      : { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) };
  parsed.username = '';
  parsed.password = '';
  const registry = new SchemaRegistry({
    host: parsed.toString().replace(/\/$/, ''),
    ...(auth === undefined ? {} : { auth }),
    retry: { retries: 3, initialRetryTimeInSecs: 0.2 },
  });
  urls.set(registry, withCredentials);
  return registry;
}

/** `url` with the user and password file of the environment as its user info (those win over the URL's). */
export function registryUrlWithCredentials(url: string, processEnv: NodeJS.ProcessEnv): string {
  const user = processEnv['SCHEMA_REGISTRY_USERNAME'];
  const passwordFile = processEnv['SCHEMA_REGISTRY_PASSWORD_FILE'];
  if ((user === undefined || user === '') && (passwordFile === undefined || passwordFile === '')) return url;
  if (!user || !passwordFile) {
    throw new Error('SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD_FILE go together');
  }
  let password: string;
  try {
    password = readFileSync(passwordFile, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new Error(`SCHEMA_REGISTRY_PASSWORD_FILE: cannot read ${passwordFile}: ${(error as { code?: string }).code}`);
  }
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(user);
  parsed.password = encodeURIComponent(password);
  return parsed.toString().replace(/\/$/, '');
}

/** The Confluent API base URL of a client made by createRegistry (may hold credentials: redact before logging). */
export function registryUrlOf(registry: SchemaRegistry): string | undefined {
  return urls.get(registry);
}

export interface RegistryReadiness {
  /** Retry an unreachable registry this long (it may be starting with the stack); a missing subject fails at once. */
  timeoutMs?: number;
}

/**
 * A service's start-up check: the registry answers, and holds a value schema for every topic the service
 * encodes or decodes. Throws an error naming the URL (without credentials) and what is missing, so a
 * misconfigured SCHEMA_REGISTRY_URL or an empty registry stops the service before it reads a record
 * rather than stalling (or dead-lettering) later.
 *
 * @example
 * await ensureRegistryReady(registry, [topics.trafficSamples.name, topics.usageHourly.name]);
 */
export async function ensureRegistryReady(
  registry: SchemaRegistry,
  topicNames: readonly string[],
  options: RegistryReadiness = {},
): Promise<void> {
  const url = registryUrlOf(registry);
  if (url === undefined) throw new Error('schema registry client was not made by createRegistry: its URL is unknown');
  const where = redactUrl(url);
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const health = await registryHealth(url);
    if (health.kind === 'healthy') break;
    if (health.kind === 'misconfigured')
      throw new Error(`schema registry at ${where} is not usable: ${health.problem}`);
    if (Date.now() >= deadline) throw new Error(`schema registry at ${where} is not reachable: ${health.problem}`);
    await sleep(500);
  }
  // One request per subject: the subject list of Apicurio's Confluent API stops at 1000 entries.
  const missing: string[] = [];
  for (const subject of topicNames.map(valueSubject)) {
    const answer = await registryGet(url, `/subjects/${encodeURIComponent(subject)}/versions/latest`).catch(
      (error: unknown) => {
        throw new Error(`schema registry at ${where}: asking for ${subject} failed`, { cause: error });
      },
    );
    if (answer.status === 404) missing.push(subject);
    else if (answer.status !== 200) {
      throw new Error(`schema registry at ${where} answered ${answer.status} for subject ${subject}`);
    }
  }
  if (missing.length > 0) {
    throw new Error(
      `schema registry at ${where} has no schema for ${missing.join(', ')}: register them first (./pnpm stack up registers the catalog's)`,
    );
  }
}

type RegistryHealth = { kind: 'healthy' } | { kind: 'misconfigured' | 'unavailable'; problem: string };

/** A 5xx, 429, 408 or a network error may cure itself; a wrong path or refused credentials will not. */
async function registryHealth(url: string): Promise<RegistryHealth> {
  try {
    const answer = await registryGet(url, '/subjects');
    if (answer.status === 200 && Array.isArray(answer.body)) return { kind: 'healthy' };
    const hint = answer.status === 404 ? ' (is the URL the Confluent API base, e.g. …/apis/ccompat/v7?)' : '';
    const problem = `GET /subjects answered ${answer.status}${hint}`;
    const later = answer.status >= 500 || answer.status === 429 || answer.status === 408;
    return { kind: later ? 'unavailable' : 'misconfigured', problem };
  } catch (error) {
    const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined)?.code : undefined;
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { kind: 'unavailable', problem: typeof cause === 'string' ? `${text} (${cause})` : text };
  }
}

/**
 * Registers the value schema of each topic under `<topic>-value` with BACKWARD compatibility.
 * Registering an unchanged schema returns the existing id; an incompatible one is rejected by the registry.
 */
export async function registerSchemas(
  registry: SchemaRegistry,
  schemasDir: string,
  specs: readonly TopicSpec[],
): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const spec of specs) {
    if (spec.valueSchema === undefined) continue;
    const schema = await readFile(join(schemasDir, spec.valueSchema), 'utf8');
    const register = () =>
      registry.register(
        { type: SchemaType.AVRO, schema },
        { subject: valueSubject(spec.name), compatibility: COMPATIBILITY.BACKWARD },
      );
    // Two processes registering a new subject at once (a stack up racing a test's) both see no config and
    // both set it; the loser's "rule already exists" means the subject is configured: registering again is
    // then idempotent and checks the level.
    const { id } = await register().catch((error: unknown) => {
      if (error instanceof Error && /already exists/i.test(error.message)) return register();
      throw error;
    });
    ids.set(spec.name, id);
  }
  return ids;
}
