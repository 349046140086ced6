import type { Kafka, KafkaMessage } from 'kafkajs';
import { deadLetterTopicOf } from './catalog.ts';
import { deadLetterHeaders } from './dead-letter.ts';
import { readToEnd } from './read-to-end.ts';

export interface DeadLetterView {
  offset: string;
  key: string | null;
  errorClass: string;
  errorMessage: string;
  source: string;
  service: string;
  time: string;
  valueBytes: number;
}

function header(
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined,
  name: string,
): string {
  const value = headers?.[name];
  if (value === undefined) return '';
  return Array.isArray(value) ? value.map(String).join(',') : value.toString();
}

/** What sits in a topic's dead-letter topic, oldest first, with the reason each record was refused. */
export async function listDeadLetters(kafka: Kafka, sourceTopic: string): Promise<DeadLetterView[]> {
  const records = await readToEnd(kafka, deadLetterTopicOf(sourceTopic));
  return records.map(({ message }) => viewOf(message));
}

function viewOf(message: KafkaMessage): DeadLetterView {
  return {
    offset: message.offset,
    key: message.key?.toString() ?? null,
    errorClass: header(message.headers, deadLetterHeaders.errorClass),
    errorMessage: header(message.headers, deadLetterHeaders.errorMessage),
    source: `${header(message.headers, deadLetterHeaders.sourceTopic)}[${header(message.headers, deadLetterHeaders.sourcePartition)}]@${header(message.headers, deadLetterHeaders.sourceOffset)}`,
    service: header(message.headers, deadLetterHeaders.service),
    time: header(message.headers, deadLetterHeaders.time),
    valueBytes: message.value?.length ?? 0,
  };
}

const REDRIVE_GROUP = 'tally-redrive';

/**
 * Sends dead letters back to their source topic (after the cause is fixed), with their original key,
 * bytes and headers, plus `tally.redriven-from`. Progress is kept as the `tally-redrive` group's
 * committed offsets, so each dead letter is re-driven once; a crash between send and commit may send
 * one twice, which the consumers absorb (samples dedupe, usage is versioned).
 */
export async function redriveDeadLetters(
  kafka: Kafka,
  sourceTopic: string,
  filter: (view: DeadLetterView) => boolean = () => true,
): Promise<number> {
  const dlq = deadLetterTopicOf(sourceTopic);
  const admin = kafka.admin();
  await admin.connect();
  const committed = await admin.fetchOffsets({ groupId: REDRIVE_GROUP, topics: [dlq] });
  const startAt = new Map(
    (committed[0]?.partitions ?? []).filter((p) => Number(p.offset) >= 0).map((p) => [p.partition, p.offset]),
  );
  const records = await readToEnd(kafka, dlq, startAt);
  if (records.length === 0) {
    await admin.disconnect();
    return 0;
  }
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const chosen = records.filter(({ message }) => filter(viewOf(message)));
  if (chosen.length > 0) {
    await producer.send({
      topic: sourceTopic,
      acks: -1,
      messages: chosen.map(({ message }) => {
        const headers = Object.fromEntries(
          Object.entries(message.headers ?? {}).filter(([name]) => !name.startsWith('tally.')),
        );
        return {
          key: message.key,
          value: message.value,
          headers: { ...headers, 'tally.redriven-from': `${dlq}@${message.offset}` },
        };
      }),
    });
  }
  await producer.disconnect();
  const next = new Map<number, string>();
  for (const { partition, message } of records) next.set(partition, (BigInt(message.offset) + 1n).toString());
  await admin.setOffsets({
    groupId: REDRIVE_GROUP,
    topic: dlq,
    partitions: [...next].map(([partition, offset]) => ({ partition, offset })),
  });
  await admin.disconnect();
  return chosen.length;
}
