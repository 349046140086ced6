import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { valueSubject, type TopicSpec } from './catalog.ts';

/** The compatibility every value subject must have (ARCHITECTURE.md, "Layout": schemas/). */
export const REQUIRED_COMPATIBILITY = 'BACKWARD';

export interface SubjectDifference {
  topic: string;
  subject: string;
  setting: 'compatibility' | 'schema';
  catalog: string;
  actual: string;
}

/** The catalog's value schemas against the registry, read only. */
export interface SchemasCheck {
  /** Topics whose value subject has no version in the registry. */
  missing: TopicSpec[];
  differences: SubjectDifference[];
  /** Subjects equal to the catalog. */
  matching: string[];
}

const latestVersion = z.object({ schema: z.string(), version: z.number(), id: z.number() });
const compatibility = z.object({ compatibilityLevel: z.string() });

/** Keys sorted at every level, so two spellings of one JSON schema compare equal (field order is kept: it matters). */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/**
 * Whether two Avro schema texts are the same schema document (whitespace and key order aside).
 *
 * @example
 * sameSchema('{"type":"string"}', '{ "type": "string" }'); // true
 */
export function sameSchema(a: string, b: string): boolean {
  try {
    return JSON.stringify(canonical(JSON.parse(a))) === JSON.stringify(canonical(JSON.parse(b)));
  } catch {
    return a === b;
  }
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { headers: { accept: 'application/vnd.schemaregistry.v1+json' } });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text: it goes into the error below
  }
  if (response.status !== 200 && response.status !== 404) {
    throw new Error(`schema registry ${url}: HTTP ${response.status} ${text.slice(0, 200)}`);
  }
  return { status: response.status, body };
}

/**
 * For each catalog topic with a value schema: is `<topic>-value` registered, is its compatibility BACKWARD (the
 * subject's own level, else the registry's default), and is its latest version the file in `schemasDir`.
 * Uses the Confluent REST API (Apicurio's ccompat serves it too).
 */
export async function verifySchemas(
  registryUrl: string,
  schemasDir: string,
  specs: readonly TopicSpec[],
): Promise<SchemasCheck> {
  const base = registryUrl.replace(/\/+$/, '');
  const check: SchemasCheck = { missing: [], differences: [], matching: [] };
  for (const spec of specs) {
    if (spec.valueSchema === undefined) continue;
    const subject = valueSubject(spec.name);
    const path = encodeURIComponent(subject);
    const latest = await getJson(`${base}/subjects/${path}/versions/latest`);
    if (latest.status === 404) {
      check.missing.push(spec);
      continue;
    }
    const file = await readFile(join(schemasDir, spec.valueSchema), 'utf8');
    const registered = latestVersion.parse(latest.body);
    const level = await getJson(`${base}/config/${path}?defaultToGlobal=true`);
    const actualLevel = level.status === 404 ? '(unset)' : compatibility.parse(level.body).compatibilityLevel;
    const before = check.differences.length;
    if (actualLevel !== REQUIRED_COMPATIBILITY) {
      check.differences.push({
        topic: spec.name,
        subject,
        setting: 'compatibility',
        catalog: REQUIRED_COMPATIBILITY,
        actual: actualLevel,
      });
    }
    if (!sameSchema(file, registered.schema)) {
      check.differences.push({
        topic: spec.name,
        subject,
        setting: 'schema',
        catalog: spec.valueSchema,
        actual: `version ${registered.version} (id ${registered.id}) differs from the file`,
      });
    }
    if (check.differences.length === before) check.matching.push(subject);
  }
  return check;
}
