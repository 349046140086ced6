import type { IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { deadLetterTopicOf } from './catalog.ts';
import { deadLetterHeaders } from './dead-letter.ts';
import { createIdempotentProducer } from './producer.ts';
import { readToEnd } from './read-to-end.ts';
import { sendSized, type TopicMessage } from './sized-send.ts';

export interface DeadLetterView {
  /** Partition and offset in the dead-letter topic: what identifies a dead letter. */
  partition: number;
  offset: string;
  key: string | null;
  errorClass: string;
  errorMessage: string;
  source: string;
  service: string;
  time: string;
  valueBytes: number;
}

/** Where a dead letter sits in its dead-letter topic. */
export interface DeadLetterPosition {
  readonly partition: number;
  readonly offset: string;
}

/** A dead letter as stored: its view plus the whole message. */
export interface DeadLetterRecord {
  readonly view: DeadLetterView;
  readonly message: KafkaMessage;
}

/**
 * Which dead letters have been re-driven, kept per (dead-letter topic, partition, offset), so that a redrive
 * filtered by error class leaves every other dead letter waiting (group offsets cannot say "all but these").
 */
export interface RedriveLedger {
  /** Positions of the topic's dead letters already re-driven, as `partition@offset`. */
  redriven(dlqTopic: string): Promise<ReadonlySet<string>>;
  /**
   * Runs `send` holding the topic's ledger exclusively: `done` is what was re-driven before; the dead letters
   * `send` returns are recorded as re-driven together, only once it has returned (a failed send records nothing).
   */
  redrive(
    dlqTopic: string,
    send: (done: ReadonlySet<string>) => Promise<readonly DeadLetterView[]>,
  ): Promise<readonly DeadLetterView[]>;
}

/**
 * The ledger key of a position.
 *
 * @example
 * positionKey({ partition: 0, offset: '42' }); // '0@42'
 */
export function positionKey(position: DeadLetterPosition): string {
  return `${position.partition}@${position.offset}`;
}

/** A ledger in memory: for tests and one-off scripts; the CLI keeps its ledger in PostgreSQL. */
export function memoryRedriveLedger(): RedriveLedger {
  const done = new Map<string, Set<string>>();
  const of = (topic: string): Set<string> => {
    const set = done.get(topic) ?? new Set<string>();
    done.set(topic, set);
    return set;
  };
  return {
    redriven: (topic) => Promise.resolve(new Set(of(topic))),
    async redrive(topic, send) {
      const sent = await send(new Set(of(topic)));
      for (const view of sent) of(topic).add(positionKey(view));
      return sent;
    },
  };
}

function header(headers: IHeaders | undefined, name: string): string {
  const value = headers?.[name];
  if (value === undefined) return '';
  return Array.isArray(value) ? value.map(String).join(',') : value.toString();
}

/**
 * The dead-letter topic of a source topic; a name that already is one (ends in `.dlq`) is kept.
 *
 * @example
 * dlqTopicName('traffic.samples.v1'); // 'traffic.samples.v1.dlq'
 */
export function dlqTopicName(topic: string): string {
  return topic.endsWith('.dlq') ? topic : deadLetterTopicOf(topic);
}

/** What sits in a topic's dead-letter topic, oldest first per partition, with the reason each record was refused. */
export async function listDeadLetters(kafka: Kafka, sourceTopic: string): Promise<DeadLetterView[]> {
  const records = await readToEnd(kafka, dlqTopicName(sourceTopic));
  return records.map(({ partition, message }) => viewOf(partition, message));
}

/** One dead letter whole (headers, key, bytes), or undefined when the position holds none (any more). */
export async function readDeadLetter(
  kafka: Kafka,
  topic: string,
  position: DeadLetterPosition,
): Promise<DeadLetterRecord | undefined> {
  const dlq = dlqTopicName(topic);
  const admin = kafka.admin();
  await admin.connect();
  let ends;
  try {
    ends = await admin.fetchTopicOffsets(dlq);
  } finally {
    await admin.disconnect();
  }
  const end = ends.find((p) => p.partition === position.partition);
  if (end === undefined || BigInt(position.offset) >= BigInt(end.high) || BigInt(position.offset) < BigInt(end.low)) {
    return undefined;
  }
  // Start every other partition at its end, so only the asked one is read (from the asked offset).
  const startAt = new Map(ends.map((p) => [p.partition, p.high]));
  startAt.set(position.partition, position.offset);
  const records = await readToEnd(kafka, dlq, startAt);
  const found = records.find((r) => r.partition === position.partition && r.message.offset === position.offset);
  return found === undefined ? undefined : { view: viewOf(found.partition, found.message), message: found.message };
}

function viewOf(partition: number, message: KafkaMessage): DeadLetterView {
  return {
    partition,
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

/**
 * Sends dead letters back to their source topic (after the cause is fixed), with their original key, bytes and
 * headers, plus `tally.redriven-from`. Only dead letters that pass `filter` and that the ledger has not recorded
 * are sent, and exactly those are recorded: a redrive of one error class leaves the others for a later redrive.
 * The ledger records them after the broker acknowledged the send; a crash in between may send some twice, which
 * the consumers absorb (samples dedupe, usage is versioned).
 */
export async function redriveDeadLetters(
  kafka: Kafka,
  sourceTopic: string,
  ledger: RedriveLedger,
  filter: (view: DeadLetterView) => boolean = () => true,
): Promise<readonly DeadLetterView[]> {
  const dlq = dlqTopicName(sourceTopic);
  const target = sourceTopic.endsWith('.dlq') ? sourceTopic.slice(0, -'.dlq'.length) : sourceTopic;
  return ledger.redrive(dlq, async (done) => {
    const records = await readToEnd(kafka, dlq);
    const chosen = records
      .map(({ partition, message }) => ({ view: viewOf(partition, message), message }))
      // A letter whose value was left out to fit (tally.value.truncated) has nothing to re-drive: it stays listed.
      .filter(
        ({ view, message }) =>
          !done.has(positionKey(view)) &&
          message.headers?.[deadLetterHeaders.valueTruncated] === undefined &&
          filter(view),
      );
    if (chosen.length === 0) return [];
    const outgoing = chosen.map(({ view, message }) => {
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).filter(([name]) => !name.startsWith('tally.')),
      );
      return {
        view,
        item: {
          topic: target,
          message: {
            key: message.key,
            value: message.value,
            headers: { ...headers, 'tally.redriven-from': `${dlq}[${view.partition}]@${view.offset}` },
          },
        },
      };
    });
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    let refused: readonly TopicMessage[];
    try {
      // In sends under the topic's size limit: a re-drive of thousands of letters is larger than one request.
      refused = await sendSized(
        producer,
        outgoing.map(({ item }) => item),
      );
    } finally {
      await producer.disconnect();
    }
    // One the source topic refuses alone (its limit is below the dead-letter topic's) stays, not marked re-driven.
    const refusedMessages = new Set(refused.map((item) => item.message));
    return outgoing.filter(({ item }) => !refusedMessages.has(item.message)).map(({ view }) => view);
  });
}
