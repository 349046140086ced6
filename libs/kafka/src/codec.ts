import { createLogger, type Logger } from '@tally/log';
import { valueSubject } from './catalog.ts';
import { poison } from './errors.ts';
import { registryUrlOf, type SchemaRegistry } from './registry.ts';
import { lookupSchemaId, redactUrl } from './schema-id-lookup.ts';
import type { TypedTopic } from './typed-topic.ts';
import {
  defaultUnknownIdGuard,
  initialUnknownIdState,
  judgeUnknownId,
  type UnknownIdGuardOptions,
  type UnknownIdState,
} from './unknown-schema-guard.ts';

/** Encodes and decodes one topic's values: Avro through the registry, then zod. */
export interface ValueCodec<T> {
  encode: (value: T) => Promise<Buffer>;
  decode: (bytes: Buffer | null) => Promise<T>;
}

const MAGIC_BYTE = 0;

export interface ValueCodecOptions {
  /** Where a tripped unknown-id circuit is reported; a logger of its own by default. */
  log?: Logger;
  guard?: UnknownIdGuardOptions;
  now?: () => number;
}

/**
 * A transient registry problem seen while decoding: the record is retried, never dead-lettered. Marked
 * `retryable` so that the runtime's classifier needs no knowledge of the registry client's errors.
 */
export class SchemaRegistryUnavailableError extends Error {
  override readonly name = 'SchemaRegistryUnavailableError';
  readonly retryable = true;
}

export function valueCodec<T>(
  registry: SchemaRegistry,
  topic: TypedTopic<T>,
  options: ValueCodecOptions = {},
): ValueCodec<T> {
  const unknownIds = unknownIdJudge(registry, topic.spec.name, options);
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
      const wire = await decodeAvro(registry, bytes, topic.spec.name, unknownIds);
      const parsed = topic.schema.safeParse(topic.fromWire(wire));
      if (!parsed.success) {
        const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
        throw poison('ValidationFailed', `${topic.spec.name}: ${issues}`);
      }
      return parsed.data;
    },
  };
}

type UnknownIdJudge = (id: number) => Promise<Error>;

/**
 * Undecodable bytes are poison. A 404 for the schema id is poison only when the registry, asked again
 * directly, is healthy and answers that the id does not exist, and the codec's unknown-id circuit has
 * not tripped (unknown-schema-guard.ts); every other registry failure is transient. The client's own
 * errors are not passed on as causes: they carry the request URL, credentials included.
 */
async function decodeAvro(
  registry: SchemaRegistry,
  bytes: Buffer,
  topic: string,
  unknownId: UnknownIdJudge,
): Promise<unknown> {
  try {
    return (await registry.decode(bytes)) as unknown;
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    const id = bytes.readInt32BE(1);
    if (status === 404) throw await unknownId(id);
    const where = redactUrl(registryUrlOf(registry) ?? 'http://unknown');
    // mappersmith reports a network failure as status 400 with the socket's message.
    const reason = (error instanceof Error ? error.message : String(error)).replace(/https?:\/\/\S+/g, where);
    if (typeof status === 'number' || isNetworkError(error)) {
      throw new SchemaRegistryUnavailableError(
        `${topic}: schema id ${id}: the registry at ${where} failed${typeof status === 'number' ? ` (${status})` : ''}: ${reason}`,
      );
    }
    throw poison('AvroDecodeFailed', `${topic}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function unknownIdJudge(registry: SchemaRegistry, topic: string, options: ValueCodecOptions): UnknownIdJudge {
  const guard = options.guard ?? defaultUnknownIdGuard;
  const now = options.now ?? Date.now;
  let log = options.log;
  let state: UnknownIdState = initialUnknownIdState;
  return async (id) => {
    const url = registryUrlOf(registry);
    if (url === undefined) {
      return new SchemaRegistryUnavailableError(
        `${topic}: schema id ${id} not found, and the registry's URL is unknown to check it (make clients with createRegistry)`,
      );
    }
    const lookup = await lookupSchemaId(url, id);
    const where = redactUrl(url);
    switch (lookup.kind) {
      case 'present':
        return new SchemaRegistryUnavailableError(`${topic}: schema id ${id} exists at ${where} now; retrying`);
      case 'unhealthy':
        return new SchemaRegistryUnavailableError(
          `${topic}: cannot confirm schema id ${id} at ${where}: ${lookup.reason}`,
        );
      case 'absent': {
        const judgement = judgeUnknownId(state, now(), guard);
        state = judgement.state;
        if (judgement.verdict === 'poison') {
          return poison('UnknownSchemaId', `${topic}: schema id ${id} does not exist in the registry at ${where}`);
        }
        if (judgement.justTripped) {
          log ??= createLogger('schema-codec');
          log.error(
            { topic, schemaId: id, registry: where, burstLimit: guard.burstLimit, windowMs: guard.windowMs },
            'many records carry schema ids the registry does not know: stalling instead of dead-lettering them; has the registry lost its schemas?',
          );
        }
        return new SchemaRegistryUnavailableError(
          `${topic}: schema id ${id} does not exist at ${where}, in a burst of unknown ids (more than ${guard.burstLimit} in ${guard.windowMs} ms): stalled until the registry knows it`,
        );
      }
    }
  };
}

function isNetworkError(error: unknown): boolean {
  const text =
    error instanceof Error ? `${error.name} ${error.message} ${String((error as { code?: unknown }).code)}` : '';
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|socket hang up|fetch failed|Request failed/i.test(text);
}
