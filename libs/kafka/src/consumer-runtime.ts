import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { OffsetConflictError } from '@tally/db';
import type { Logger } from '@tally/log';
import { sideOutput, stepper, toArray, type SideOutput, type Transducer } from '@tally/stream';
import { backoffDelay, defaultBackoff, type BackoffOptions } from './backoff.ts';
import type { ValueCodec } from './codec.ts';
import type { ConsumedRecord } from './consumed-record.ts';
import { sendDeadLetters, type DeadLetter, type RawRecord } from './dead-letter.ts';
import { isPoison } from './errors.ts';
import type { ConsumerMetrics } from './metrics.ts';
import { reconcile } from './offset-reconcile.ts';

/** The offsets a batch moves its partition between; store `to` with the results, fenced on `from`. */
export interface BatchOffsets {
  topic: string;
  partition: number;
  /** What the database said before this batch; undefined when nothing was stored yet. */
  from: string | undefined;
  to: string;
}

export interface PipelineContext {
  /** Records that break a business rule: sent to the topic's dead-letter topic before the commit. */
  deadLetters: SideOutput<DeadLetter>;
}

export interface ConsumerSpec<T, R> {
  service: string;
  groupId: string;
  topic: string;
  codec: ValueCodec<T>;
  /**
   * Builds the pipeline for one batch of one partition. It is bound to a fresh reducer per batch and
   * completed at the batch's end, so every result it holds is committed with the offsets that cover it.
   */
  pipeline: (context: PipelineContext) => Transducer<ConsumedRecord<T>, R>;
  /** Makes the results and `offsets.to` durable together (one PostgreSQL transaction using advanceOffset). */
  commit: (results: R[], offsets: BatchOffsets) => Promise<void>;
  /** The next offsets stored with the results, by partition. */
  loadOffsets: (topic: string) => Promise<Map<number, string>>;
  fromBeginning?: boolean;
  backoff?: BackoffOptions;
  partitionsConsumedConcurrently?: number;
  maxBytesPerPartition?: number;
  shutdownDeadlineMs?: number;
  /** How long the group waits for a silent member (a killed process) before reassigning its partitions. */
  sessionTimeoutMs?: number;
}

export interface ConsumerDeps {
  kafka: Kafka;
  /** Idempotent producer for dead letters. */
  producer: Producer;
  log: Logger;
  metrics: ConsumerMetrics;
  now?: () => Date;
}

export interface RunningConsumer {
  /** Stops fetching, abandons or finishes the batch in flight, disconnects; resolves within the deadline. */
  stop(): Promise<void>;
  /** Resolves when the consumer has crashed for good (kafkajs gave up); the process should then exit non-zero. */
  crashed: Promise<Error>;
}

/**
 * Runs a consumer whose effects are exactly-once: a batch's results and its next offset are committed
 * together, fenced against concurrent owners; poison records go to `<topic>.dlq`; everything else is
 * retried with backoff without moving past the failed record.
 */
export async function runConsumer<T, R>(spec: ConsumerSpec<T, R>, deps: ConsumerDeps): Promise<RunningConsumer> {
  const { kafka, producer, log, metrics } = deps;
  const now = deps.now ?? (() => new Date());
  const backoff = spec.backoff ?? defaultBackoff;
  const consumer: Consumer = kafka.consumer({
    groupId: spec.groupId,
    maxBytesPerPartition: spec.maxBytesPerPartition ?? 1_048_576,
    retry: { retries: 10 },
    sessionTimeout: spec.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: Math.min(3_000, Math.floor((spec.sessionTimeoutMs ?? 30_000) / 5)),
  });
  /** Next offsets from the database, per partition; dropped on every rebalance and reloaded. */
  let stored: Map<number, string> | undefined;
  let stopping = false;
  const stopSignal = new AbortController();

  const storedOffsets = async (): Promise<Map<number, string>> => (stored ??= await spec.loadOffsets(spec.topic));

  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    stored = undefined;
    const assigned = event.payload.memberAssignment[spec.topic] ?? [];
    log.info({ topic: spec.topic, partitions: assigned }, 'partitions assigned');
    // Position every assigned partition where the database says, even one with nothing new to fetch
    // (a group already at the end would otherwise never re-read for a rebuild). Batches re-check it.
    void storedOffsets()
      .then((offsets) => {
        for (const partition of assigned)
          consumer.seek({ topic: spec.topic, partition, offset: offsets.get(partition) ?? '0' });
      })
      .catch((error: unknown) =>
        log.warn({ err: error, topic: spec.topic }, 'could not load stored offsets on assignment; batches will'),
      );
  });
  let resolveCrash: (error: Error) => void = () => undefined;
  const crashed = new Promise<Error>((resolve) => (resolveCrash = resolve));
  consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) resolveCrash(event.payload.error);
  });

  const processBatch = async (payload: EachBatchPayload): Promise<void> => {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    const partition = batch.partition;
    const started = process.hrtime.bigint();
    for (let attempt = 1; ; attempt += 1) {
      if (!payload.isRunning() || payload.isStale() || stopping) return;
      try {
        const offsets = await storedOffsets();
        const from = offsets.get(partition);
        // Nothing stored means nothing applied: read from the start, whatever Kafka's committed offset says, so
        // a rebuild into empty tables sees every record (offset 0 out of range falls back to the earliest).
        const decision = reconcile(from ?? '0', batch.firstOffset() ?? batch.messages[0]!.offset);
        if (decision.action === 'seek') {
          log.info(
            { topic: spec.topic, partition, offset: decision.toOffset },
            'seeking to the offset stored with the results',
          );
          consumer.seek({ topic: spec.topic, partition, offset: decision.toOffset });
          return;
        }
        const start = BigInt(decision.fromOffset);
        const messages = batch.messages.filter((message) => BigInt(message.offset) >= start);
        // kafkajs fetches from the last resolved offset: resolve even what we skip, or it comes back.
        const lastOffset = batch.messages[batch.messages.length - 1]!.offset;
        if (messages.length === 0) {
          payload.resolveOffset(lastOffset);
          return;
        }
        const to = (BigInt(messages[messages.length - 1]!.offset) + 1n).toString();

        const deadLetters = sideOutput<DeadLetter>();
        const decoded = await decodeAll(spec.codec, batch.topic, partition, messages, deadLetters);
        const run = stepper(spec.pipeline({ deadLetters }), toArray<R>());
        run.step(decoded);
        const results = run.complete();
        const letters = deadLetters.drain();
        await sendDeadLetters(producer, letters, spec.service, now());
        await spec.commit(results, { topic: spec.topic, partition, from, to });
        log.debug(
          { topic: spec.topic, partition, from, to, results: results.length, deadLetters: letters.length },
          'batch committed',
        );
        offsets.set(partition, to);
        payload.resolveOffset(lastOffset);
        // Kafka's committed offset is only a hint for lag tools: the database holds the truth.
        await consumer.commitOffsets([{ topic: spec.topic, partition, offset: to }]).catch((error: unknown) => {
          log.warn({ err: error, partition }, 'could not commit the offset hint to Kafka');
        });

        metrics.recordsIn.inc({ topic: spec.topic }, decoded.length);
        metrics.recordsOut.inc({ topic: spec.topic }, results.length);
        for (const letter of letters) {
          const errorClass = isPoison(letter.error) ? letter.error.errorClass : 'Error';
          metrics.deadLettered.inc({ topic: spec.topic, error_class: errorClass });
          log.warn(
            { topic: spec.topic, partition, offset: letter.record.offset, errorClass, reason: String(letter.error) },
            'dead-lettered',
          );
        }
        metrics.batchSeconds.observe({ topic: spec.topic }, Number(process.hrtime.bigint() - started) / 1e9);
        metrics.lag.set(
          { topic: spec.topic, partition: String(partition) },
          Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(to))),
        );
        await payload.heartbeat();
        return;
      } catch (error) {
        if (error instanceof OffsetConflictError) {
          // Another member owns this partition now (or did meanwhile): forget what we knew and re-read.
          log.warn({ topic: spec.topic, partition, reason: error.message }, 'offset fence: batch abandoned');
          stored = undefined;
          return;
        }
        metrics.retries.inc({ topic: spec.topic });
        const delay = backoffDelay(attempt, backoff);
        log.warn(
          { err: error, topic: spec.topic, partition, attempt, delayMs: delay },
          'batch failed; retrying the same records',
        );
        stored = undefined;
        await sleep(delay, undefined, { signal: stopSignal.signal }).catch(() => undefined);
        await payload.heartbeat().catch(() => undefined);
      }
    }
  };

  await consumer.connect();
  await consumer.subscribe({ topic: spec.topic, fromBeginning: spec.fromBeginning ?? true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: spec.partitionsConsumedConcurrently ?? 1,
    eachBatch: processBatch,
  });

  return {
    crashed,
    async stop() {
      stopping = true;
      stopSignal.abort();
      const deadline = spec.shutdownDeadlineMs ?? 10_000;
      await Promise.race([consumer.disconnect(), sleep(deadline)]);
    },
  };
}

/** Decodes every message; poison goes to the dead letters, a retryable failure (registry down) throws. */
async function decodeAll<T>(
  codec: ValueCodec<T>,
  topic: string,
  partition: number,
  messages: KafkaMessage[],
  deadLetters: SideOutput<DeadLetter>,
): Promise<ConsumedRecord<T>[]> {
  const decoded: ConsumedRecord<T>[] = [];
  for (const message of messages) {
    const raw: RawRecord = {
      topic,
      partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
      ...(message.headers ? { headers: message.headers } : {}),
    };
    try {
      const value = await codec.decode(message.value);
      decoded.push({
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? null,
        timestamp: message.timestamp,
        value,
        raw,
      });
    } catch (error) {
      if (!isPoison(error)) throw error;
      deadLetters.emit({ record: raw, error });
    }
  }
  return decoded;
}
