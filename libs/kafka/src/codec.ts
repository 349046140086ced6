import { valueSubject } from './catalog.ts';
import { poison } from './errors.ts';
import type { SchemaRegistry } from './registry.ts';
import type { TypedTopic } from './typed-topic.ts';

/** Encodes and decodes one topic's values: Avro through the registry, then zod. */
export interface ValueCodec<T> {
  encode: (value: T) => Promise<Buffer>;
  decode: (bytes: Buffer | null) => Promise<T>;
}

const MAGIC_BYTE = 0;

export function valueCodec<T>(registry: SchemaRegistry, topic: TypedTopic<T>): ValueCodec<T> {
  let schemaId: Promise<number> | undefined;
  const latestId = (): Promise<number> => {
    schemaId ??= registry.getLatestSchemaId(valueSubject(topic.spec.name)).catch((error: unknown) => {
      schemaId = undefined;
      throw error;
    });
    return schemaId;
  };
  return {
    async encode(value) {
      const checked = topic.schema.parse(value);
      return registry.encode(await latestId(), topic.toWire(checked));
    },
    async decode(bytes) {
      if (bytes === null) throw poison('EmptyValue', `${topic.spec.name}: record has no value (a tombstone)`);
      if (bytes.length < 5 || bytes[0] !== MAGIC_BYTE) {
        throw poison('NotAvro', `${topic.spec.name}: value is not in the registry wire format (magic byte, schema id)`);
      }
      const wire = await decodeAvro(registry, bytes, topic.spec.name);
      const parsed = topic.schema.safeParse(topic.fromWire(wire));
      if (!parsed.success) {
        const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
        throw poison('ValidationFailed', `${topic.spec.name}: ${issues}`);
      }
      return parsed.data;
    },
  };
}

/** Unknown schema ids and undecodable bytes are poison; an unreachable registry is retryable (rethrown as is). */
async function decodeAvro(registry: SchemaRegistry, bytes: Buffer, topic: string): Promise<unknown> {
  try {
    return (await registry.decode(bytes)) as unknown;
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (status === 404)
      throw poison('UnknownSchemaId', `${topic}: schema id ${bytes.readInt32BE(1)} is unknown to the registry`, error);
    if (status === undefined && !isNetworkError(error)) {
      throw poison('AvroDecodeFailed', `${topic}: ${error instanceof Error ? error.message : String(error)}`, error);
    }
    throw error;
  }
}

function isNetworkError(error: unknown): boolean {
  const text =
    error instanceof Error ? `${error.name} ${error.message} ${String((error as { code?: unknown }).code)}` : '';
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|socket hang up|fetch failed|Request failed/i.test(text);
}
