import { connectionEnv, loadConfig } from '@tally/config';
import { createRegistry, dlqTopicName, readDeadLetter, type SchemaRegistry } from '@tally/kafka';
import type { IHeaders } from 'kafkajs';
import { z } from 'zod';
import { parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';
import { cliKafka } from './kafka-client.ts';

const args = z.object({
  json: z.boolean().default(false),
  positionals: z.tuple([z.string().min(1), z.coerce.number().int().min(0), z.string().regex(/^\d+$/)], {
    error: 'expected <source-topic> <partition> <offset>, e.g. traffic.samples.v1 0 42',
  }),
});

/** What a dead letter's value is: Avro in the registry wire format when it decodes, else its bytes in hex. */
export type DecodedValue =
  | { readonly encoding: 'avro'; readonly schemaId: number; readonly value: unknown }
  | { readonly encoding: 'bytes'; readonly reason: string; readonly hex: string }
  | { readonly encoding: 'none' };

/** Decodes a value through the registry; anything that does not decode is shown as hex, with why. */
export async function decodeValue(registry: SchemaRegistry, bytes: Buffer | null): Promise<DecodedValue> {
  if (bytes === null) return { encoding: 'none' };
  if (bytes.length < 5 || bytes[0] !== 0) {
    return { encoding: 'bytes', reason: 'not in the registry wire format', hex: bytes.toString('hex') };
  }
  try {
    return { encoding: 'avro', schemaId: bytes.readInt32BE(1), value: (await registry.decode(bytes)) as unknown };
  } catch (error) {
    return {
      encoding: 'bytes',
      reason: `does not decode: ${error instanceof Error ? error.message : String(error)}`,
      hex: bytes.toString('hex'),
    };
  }
}

function headerText(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.map(String).join(',') : value.toString();
  }
  return out;
}

const plain = (_key: string, value: unknown): unknown =>
  typeof value === 'bigint' ? value.toString() : Buffer.isBuffer(value) ? value.toString('hex') : value;

/** `tally dlq show <topic> <partition> <offset>`: one dead letter whole. */
export const dlqShow: Command = {
  path: ['dlq', 'show'],
  usage: 'tally dlq show <source-topic> <partition> <offset> [--json]',
  summary: 'one dead letter whole: headers, key, value decoded (or hex)',
  async run(argv, io) {
    const options = parseCommandArgs(argv, { json: { type: 'boolean' } }, args);
    const [topic, partition, offset] = options.positionals;
    const found = await readDeadLetter(cliKafka(io.env), topic, { partition, offset });
    if (found === undefined) {
      io.err(`no dead letter at ${dlqTopicName(topic)} partition ${partition} offset ${offset}\n`);
      return 1;
    }
    const registry = createRegistry(loadConfig(connectionEnv, io.env).SCHEMA_REGISTRY_URL);
    const { message } = found;
    const shown = {
      topic: dlqTopicName(topic),
      partition,
      offset,
      timestamp: new Date(Number(message.timestamp)).toISOString(),
      key: message.key?.toString() ?? null,
      headers: headerText(message.headers),
      valueBytes: message.value?.length ?? 0,
      value: await decodeValue(registry, message.value),
    };
    if (options.json) {
      io.out(`${JSON.stringify(shown, plain, 2)}\n`);
      return 0;
    }
    io.out(`dead letter ${shown.topic}[${partition}]@${offset}, written ${shown.timestamp}\n`);
    io.out(`key: ${shown.key ?? '(none)'}\nheaders:\n`);
    for (const [name, value] of Object.entries(shown.headers)) io.out(`  ${name}: ${value}\n`);
    const value = shown.value;
    if (value.encoding === 'avro') {
      io.out(
        `value (Avro, schema id ${value.schemaId}, ${shown.valueBytes} bytes):\n${JSON.stringify(value.value, plain, 2)}\n`,
      );
    } else if (value.encoding === 'bytes') {
      io.out(`value (${shown.valueBytes} bytes, ${value.reason}), hex:\n${value.hex}\n`);
    } else {
      io.out('value: none (a tombstone)\n');
    }
    return 0;
  },
};
