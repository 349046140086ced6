import type { Queryable } from '@tally/db';
import {
  isPoison,
  lateSample,
  readToEnd,
  typedTopic,
  typedTopics,
  valueCodec,
  type SchemaRegistry,
} from '@tally/kafka';
import type { Kafka } from 'kafkajs';
import { lateRecordKey, type LateRecord } from './late-summary.ts';

/**
 * Every record of the late-data topic, decoded. Records that do not decode are counted, not hidden: they hold
 * samples too, and an operator must know they are there.
 */
export async function readLateRecords(
  kafka: Kafka,
  registry: SchemaRegistry,
  topic: string,
): Promise<{ records: LateRecord[]; undecodable: number }> {
  const codec = valueCodec(registry, typedTopic({ ...typedTopics.lateSamples.spec, name: topic }, lateSample));
  const records: LateRecord[] = [];
  let undecodable = 0;
  for (const { partition, message } of await readToEnd(kafka, topic)) {
    try {
      records.push({ partition, offset: message.offset, late: await codec.decode(message.value) });
    } catch (error) {
      if (!isPoison(error)) throw error;
      undecodable += 1;
    }
  }
  return { records, undecodable };
}

/** The owner account of each instance, as metering's inventory knows it now. */
export async function loadOwners(db: Queryable, instanceIds: Iterable<string>): Promise<Map<string, string>> {
  const ids = [...new Set(instanceIds)];
  if (ids.length === 0) return new Map();
  const result = await db.query<{ instance_id: string; account_id: string }>(
    `SELECT instance_id, record->>'accountId' AS account_id FROM inventory WHERE instance_id = ANY($1::text[])`,
    [ids],
  );
  return new Map(result.rows.map((row) => [row.instance_id, row.account_id]));
}

/** The records of a late-data topic already re-injected, as lateRecordKey. */
export async function loadReplayed(db: Queryable, topic: string): Promise<Set<string>> {
  const result = await db.query<{ partition: number; offset: string }>(
    `SELECT partition, "offset" FROM late_replays WHERE topic = $1`,
    [topic],
  );
  return new Set(result.rows.map((row) => lateRecordKey(row.partition, row.offset)));
}
