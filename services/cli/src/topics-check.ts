import { fileURLToPath } from 'node:url';
import { connectionEnv, loadConfig } from '@tally/config';
import {
  applyTopics,
  catalog,
  createRegistry,
  registerSchemas,
  verifySchemas,
  verifyTopics,
  type TopicSpec,
} from '@tally/kafka';
import { z } from 'zod';
import { parseCommandArgs } from './args.ts';
import type { Command, CommandIo } from './command.ts';
import { cliKafka } from './kafka-client.ts';

const defaultSchemasDir = fileURLToPath(new URL('../../../schemas', import.meta.url));

const args = z.object({
  json: z.boolean().default(false),
  prefix: z.string().min(1).optional(),
  positionals: z.array(z.string()).max(0, 'no positional arguments expected'),
});

/**
 * The catalog the commands check: as written, or with every name prefixed (`--prefix test.x.`), so a test or a
 * staging cluster can hold a copy of the catalog beside the real one.
 */
export function catalogWith(prefix: string | undefined): TopicSpec[] {
  return prefix === undefined ? catalog : catalog.map((spec) => ({ ...spec, name: `${prefix}${spec.name}` }));
}

interface Finding {
  kind: 'missing topic' | 'topic differs' | 'missing subject' | 'subject differs';
  name: string;
  setting?: string;
  catalog?: string;
  actual?: string;
}

async function check(io: CommandIo, specs: readonly TopicSpec[], schemasDir: string): Promise<Finding[]> {
  const admin = cliKafka(io.env).admin();
  await admin.connect();
  let topics;
  try {
    topics = await verifyTopics(admin, specs);
  } finally {
    await admin.disconnect();
  }
  const schemas = await verifySchemas(loadConfig(connectionEnv, io.env).SCHEMA_REGISTRY_URL, schemasDir, specs);
  return [
    ...topics.missing.map((name): Finding => ({ kind: 'missing topic', name })),
    ...topics.differences.map((d): Finding => ({
      kind: 'topic differs',
      name: d.topic,
      setting: d.setting,
      catalog: d.catalog,
      actual: d.actual,
    })),
    ...schemas.missing.map((spec): Finding => ({ kind: 'missing subject', name: `${spec.name}-value` })),
    ...schemas.differences.map((d): Finding => ({
      kind: 'subject differs',
      name: d.subject,
      setting: d.setting,
      catalog: d.catalog,
      actual: d.actual,
    })),
  ];
}

function print(io: CommandIo, findings: readonly Finding[]): void {
  for (const f of findings) {
    io.out(
      f.setting === undefined
        ? `${f.kind}: ${f.name}\n`
        : `${f.kind}: ${f.name} ${f.setting}: catalog ${f.catalog}, actual ${f.actual}\n`,
    );
  }
}

/** `tally topics verify`: the catalog against the broker and the registry; exit 1 on any difference. */
export const topicsVerify: Command = {
  path: ['topics', 'verify'],
  usage: 'tally topics verify [--json] [--prefix P]',
  summary: 'compare the topic catalog with the broker (partitions, configs) and the registry (subjects, BACKWARD)',
  async run(argv, io) {
    const options = parseCommandArgs(argv, { json: { type: 'boolean' }, prefix: { type: 'string' } }, args);
    const specs = catalogWith(options.prefix);
    const findings = await check(io, specs, defaultSchemasDir);
    if (options.json) io.out(`${JSON.stringify({ topics: specs.length, differences: findings }, null, 2)}\n`);
    else print(io, findings);
    io.err(
      findings.length === 0
        ? `${specs.length} catalog topics and their subjects match the broker and the registry\n`
        : `${findings.length} differences from the catalog\n`,
    );
    return findings.length === 0 ? 0 : 1;
  },
};

/**
 * `tally topics apply`: creates missing topics and registers missing subjects (BACKWARD); never alters or deletes
 * what exists. What still differs afterwards is listed, and makes the exit code 1.
 */
export const topicsApply: Command = {
  path: ['topics', 'apply'],
  usage: 'tally topics apply [--prefix P]',
  summary: 'create the missing topics and register the missing schemas; never alter or delete',
  async run(argv, io) {
    const options = parseCommandArgs(argv, { prefix: { type: 'string' } }, args.omit({ json: true }));
    const specs = catalogWith(options.prefix);
    const admin = cliKafka(io.env).admin();
    await admin.connect();
    try {
      const report = await applyTopics(admin, specs);
      for (const name of report.created) io.out(`created topic ${name}\n`);
    } finally {
      await admin.disconnect();
    }
    const url = loadConfig(connectionEnv, io.env).SCHEMA_REGISTRY_URL;
    const schemas = await verifySchemas(url, defaultSchemasDir, specs);
    await registerSchemas(createRegistry(url), defaultSchemasDir, schemas.missing);
    for (const spec of schemas.missing) io.out(`registered ${spec.name}-value (${spec.valueSchema}, BACKWARD)\n`);
    const left = await check(io, specs, defaultSchemasDir);
    if (left.length > 0) {
      io.out('left as they are (apply never alters; fix by hand):\n');
      print(io, left);
    }
    io.err(`${specs.length} catalog topics checked; ${left.length} differences left\n`);
    return left.length === 0 ? 0 : 1;
  },
};
