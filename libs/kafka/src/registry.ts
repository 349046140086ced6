import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { TopicSpec } from './catalog.ts';
import { valueSubject } from './catalog.ts';

export type { SchemaRegistry };

export function createRegistry(url: string): SchemaRegistry {
  return new SchemaRegistry({ host: url, retry: { retries: 3, initialRetryTimeInSecs: 0.2 } });
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
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema },
      { subject: valueSubject(spec.name), compatibility: COMPATIBILITY.BACKWARD },
    );
    ids.set(spec.name, id);
  }
  return ids;
}
