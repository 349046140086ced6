import { z } from 'zod';

// Moved to @tally/log (the logger scrubs URLs with it too); re-exported for this module's callers.
export { redactUrl } from '@tally/log';

/**
 * What the registry says about one schema id, asked directly when the registry client reported a 404:
 * - `absent`: a healthy registry answered that this id does not exist (Confluent error code 40403, and
 *   `/subjects` answers). Only then may a record carrying the id be judged poison.
 * - `present`: the id exists now (the registry came back, or a replica caught up): retry.
 * - `unhealthy`: anything else: a 404 without 40403 (a URL with a wrong path, a proxy), a 5xx, a network
 *   error. The registry cannot vouch for the id, so the record is retried, never dead-lettered.
 */
export type SchemaIdLookup = { kind: 'present' } | { kind: 'absent' } | { kind: 'unhealthy'; reason: string };

export interface HttpAnswer {
  status: number;
  /** The parsed JSON body, or undefined when it was not JSON. */
  body: unknown;
}

/** Confluent's "schema not found" (`GET /schemas/ids/{id}`); Apicurio's ccompat API answers it too. */
export const SCHEMA_NOT_FOUND = 40403;

const confluentError = z.object({ error_code: z.number().int() });

/**
 * Decides from the two answers; pure.
 *
 * @example
 * judgeSchemaIdLookup({ status: 404, body: { error_code: 40403 } }, { status: 200, body: [] }) // { kind: 'absent' }
 * judgeSchemaIdLookup({ status: 404, body: { title: 'RESTEASY003210' } }, undefined).kind   // 'unhealthy'
 */
export function judgeSchemaIdLookup(byId: HttpAnswer, subjects: HttpAnswer | undefined): SchemaIdLookup {
  if (byId.status === 200) return { kind: 'present' };
  if (byId.status !== 404) return { kind: 'unhealthy', reason: `GET /schemas/ids answered ${byId.status}` };
  const code = confluentError.safeParse(byId.body);
  if (!code.success || code.data.error_code !== SCHEMA_NOT_FOUND) {
    return {
      kind: 'unhealthy',
      reason: `GET /schemas/ids answered 404 without error code ${SCHEMA_NOT_FOUND}: is the URL the Confluent API base (e.g. …/apis/ccompat/v7)?`,
    };
  }
  if (subjects === undefined || subjects.status !== 200 || !Array.isArray(subjects.body)) {
    const status = subjects === undefined ? 'no answer' : String(subjects.status);
    return { kind: 'unhealthy', reason: `the id is unknown but GET /subjects answered ${status}` };
  }
  return { kind: 'absent' };
}

/** fetch refuses URLs with credentials: send them as basic auth instead. */
export async function registryGet(baseUrl: string, path: string, timeoutMs = 3000): Promise<HttpAnswer> {
  const url = new URL(`${baseUrl.replace(/\/$/, '')}${path}`);
  const headers: Record<string, string> = { accept: 'application/vnd.schemaregistry.v1+json, application/json' };
  if (url.username !== '' || url.password !== '') {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    headers['authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    body = undefined;
  }
  return { status: response.status, body };
}

/** Asks the registry at `baseUrl` whether `id` exists; never throws. */
export async function lookupSchemaId(baseUrl: string, id: number): Promise<SchemaIdLookup> {
  try {
    const byId = await registryGet(baseUrl, `/schemas/ids/${id}`);
    const subjects = byId.status === 404 ? await registryGet(baseUrl, '/subjects') : undefined;
    return judgeSchemaIdLookup(byId, subjects);
  } catch (error) {
    return { kind: 'unhealthy', reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}
