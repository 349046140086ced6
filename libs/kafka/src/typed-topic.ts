import type { z } from 'zod';
import type { TopicSpec } from './catalog.ts';

/**
 * Binds a topic to the type of its values: the zod schema checks every decoded value, and the optional
 * wire mapping converts between the domain shape and the Avro shape where they differ.
 */
export interface TypedTopic<T> {
  spec: TopicSpec;
  schema: z.ZodType<T>;
  toWire: (value: T) => unknown;
  fromWire: (wire: unknown) => unknown;
}

export function typedTopic<T>(
  spec: TopicSpec,
  schema: z.ZodType<T>,
  wire: { toWire?: (value: T) => unknown; fromWire?: (wire: unknown) => unknown } = {},
): TypedTopic<T> {
  return { spec, schema, toWire: wire.toWire ?? ((value) => value), fromWire: wire.fromWire ?? ((value) => value) };
}
