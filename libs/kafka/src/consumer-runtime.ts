import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Batch, Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from '@tally/log';
import { sideOutput, stepper, toArray, type SideOutput, type Transducer } from '@tally/stream';
import {
  backoffDelay,
  defaultBackoff,
  defaultRetryBudget,
  retryBudgetExceeded,
  type BackoffOptions,
  type RetryBudget,
} from './backoff.ts';
import { bisect } from './bisect.ts';
import type { ValueCodec } from './codec.ts';
import type { ConsumedRecord } from './consumed-record.ts';
import { sendDeadLetters, type DeadLetter, type RawRecord } from './dead-letter.ts';
import { classifyError, isPoison, poison } from './errors.ts';
import { commitDue, holdBatch, startHold, type CommitBounds, type HeldResults } from './held-results.ts';

export { commitDue, holdBatch, startHold, type CommitBounds, type HeldResults } from './held-results.ts';
import { keepAlive } from './keep-alive.ts';
import type { ConsumerMetrics } from './metrics.ts';
import { offsetHints } from './offset-hints.ts';
import { reconcile, startOffset } from './offset-reconcile.ts';

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
  /**
   * Makes the results and `offsets.to` durable together (one PostgreSQL transaction using advanceOffset). Called
   * with a contiguous slice of a batch when the runtime isolates a record that fails deterministically, and with no
   * results to move the offset past a record it dead-lettered: both must work.
   */
  commit: (results: R[], offsets: BatchOffsets) => Promise<void>;
  /** The next offsets stored with the results, by partition. */
  loadOffsets: (topic: string) => Promise<Map<number, string>>;
  fromBeginning?: boolean;
  backoff?: BackoffOptions;
  /** Past this many attempts or this long, a transient failure is logged as a stalled partition (still retried). */
  retryBudget?: Partial<RetryBudget>;
  partitionsConsumedConcurrently?: number;
  maxBytesPerPartition?: number;
  shutdownDeadlineMs?: number;
  /** How long the group waits for a silent member (a killed process) before reassigning its partitions. */
  sessionTimeoutMs?: number;
  /** How often the stored offsets are copied to Kafka's committed offsets, a hint for lag tools (default 1 s). */
  offsetHintIntervalMs?: number;
  /**
   * Opt-in: coalesce across fetches. When set (> 0), a partition's pipeline results are held from fetch to fetch
   * (kafkajs reads on) and committed together, with offsets from the first held batch's start to the last one's
   * end, once the first is this old or `commitMaxRecords` are held, whichever first; a timer commits a partition
   * that went quiet. `commit` must then accept the concatenated results of consecutive batches as one batch and
   * store the same as committing them one by one. A coalesced commit that fails deterministically is read again
   * batch by batch, so isolation still finds the one bad record. Unset: one commit per fetched batch.
   */
  commitIntervalMs?: number;
  /** With `commitIntervalMs`: most records of one partition held before they are committed (default 10,000). */
  commitMaxRecords?: number;
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

/** A record whose dead letter did not make the failure go away: the cause lies elsewhere, so retry and alert. */
class IsolationFailedError extends Error {
  override readonly name = 'IsolationFailedError';
  readonly retryable = true;
}

/** What one attempt at a batch achieved. */
interface Applied {
  /** The next offset now stored. */
  to: string;
  decoded: number;
  results: number;
  letters: DeadLetter[];
}

/**
 * Runs a consumer whose effects are exactly-once: a batch's results and its next offset are committed
 * together, fenced against concurrent owners. Errors are classified by `classifyError`: transient ones are retried
 * with backoff without moving past the failed record (a stall past the retry budget is an error log and the
 * `tally_consumer_stalled_seconds` gauge); deterministic ones are isolated by bisecting the batch, and the one
 * offending record goes to `<topic>.dlq` while the others are committed. A stored offset below the first record
 * Kafka can deliver (retention, compaction) is an accepted gap, logged once and counted, never a reason to seek back.
 */
export async function runConsumer<T, R>(spec: ConsumerSpec<T, R>, deps: ConsumerDeps): Promise<RunningConsumer> {
  const { kafka, producer, log, metrics } = deps;
  const now = deps.now ?? (() => new Date());
  const backoff = spec.backoff ?? defaultBackoff;
  const budget: RetryBudget = { ...defaultRetryBudget, ...spec.retryBudget };
  const sessionTimeout = spec.sessionTimeoutMs ?? 30_000;
  const heartbeatInterval = Math.min(3_000, Math.floor(sessionTimeout / 5));
  const consumer: Consumer = kafka.consumer({
    groupId: spec.groupId,
    maxBytesPerPartition: spec.maxBytesPerPartition ?? 1_048_576,
    retry: { retries: 10 },
    sessionTimeout,
    heartbeatInterval,
  });
  const admin: Admin = kafka.admin();
  const hints = offsetHints(consumer, spec.topic, spec.offsetHintIntervalMs ?? 1_000, log);
  /** Next offsets from the database, per partition; dropped on every rebalance and reloaded. */
  let stored: Map<number, string> | undefined;
  /** Where this member last sought each partition since its assignment (see reconcile). */
  const soughtTo = new Map<number, string>();
  /** Partitions this member has read a batch of since its assignment: a later gap is met while reading on. */
  const readSinceJoin = new Set<number>();
  /** Each partition's log start offset as last fetched. */
  const logStarts = new Map<number, string>();
  /** The last gap reported per partition: a retried batch reports its gap once. */
  const reportedGaps = new Map<number, string>();
  let stopping = false;
  const stopSignal = new AbortController();

  /**
   * The load of `stored` under way, shared by every caller, and what this member committed while it ran. Two loads
   * must never race: with `stored ??= await load()` the assignment's load and the first batch's both ran, and the one
   * that finished last won even when it had read before the batch's commit. Later batches then started from an
   * offset the database had left behind: they sent their dead letters again before their commit hit the fence
   * (dead-letter.int.test.ts, under load).
   */
  let loading: OffsetsLoad | undefined;

  const storedOffsets = (): Promise<Map<number, string>> => {
    if (stored !== undefined) return Promise.resolve(stored);
    if (loading === undefined) {
      const committed = new Map<number, string>();
      const current: OffsetsLoad = {
        committed,
        offsets: spec.loadOffsets(spec.topic).then(
          (loaded) => {
            // A commit that ended while the load ran may not be in what it read; the commit is the newer truth.
            for (const [partition, to] of committed) loaded.set(partition, to);
            if (loading === current) {
              stored = loaded;
              loading = undefined;
            }
            return loaded;
          },
          (error: unknown) => {
            if (loading === current) loading = undefined;
            throw error;
          },
        ),
      };
      loading = current;
      return current.offsets;
    }
    return loading.offsets;
  };

  /** Forgets the stored offsets (a rebalance, a conflict, a failure): the next batch loads them again. */
  const forgetStored = () => {
    stored = undefined;
    loading = undefined;
  };

  /**
   * After a commit of this member: the offsets in use (and a load under way) say so, even when a rebalance replaced
   * the map the committing batch started from.
   */
  const noteCommitted = (partition: number, to: string) => {
    stored?.set(partition, to);
    loading?.committed.set(partition, to);
  };

  /** Refreshes the log start offsets; without them the runtime still works, by seeking and watching what arrives. */
  const refreshLogStarts = async (): Promise<Map<number, string>> => {
    try {
      for (const { partition, low } of await admin.fetchTopicOffsets(spec.topic)) logStarts.set(partition, low);
    } catch (error) {
      log.warn({ err: error, topic: spec.topic }, 'could not fetch log start offsets; gaps are found by seeking');
    }
    return logStarts;
  };

  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    forgetStored();
    // What was held is read again from the stored offsets (the seeks below); a commit in flight is fenced.
    holds.clear();
    batchByBatchUntil.clear();
    sentSinceCommit.clear();
    reportedSinceCommit.clear();
    soughtTo.clear();
    readSinceJoin.clear();
    hints.forget();
    const assigned = event.payload.memberAssignment[spec.topic] ?? [];
    log.info({ topic: spec.topic, partitions: assigned }, 'partitions assigned');
    // Position every assigned partition where the database says (or at the log start when retention deleted that),
    // even one with nothing new to fetch: a group already at the end would otherwise never re-read for a rebuild.
    // Batches re-check it.
    void Promise.all([storedOffsets(), refreshLogStarts()])
      .then(([offsets, starts]) => {
        for (const partition of assigned) {
          const offset = startOffset(offsets.get(partition), starts.get(partition));
          soughtTo.set(partition, offset);
          metrics.seeks.inc({ topic: spec.topic, partition: String(partition) });
          consumer.seek({ topic: spec.topic, partition, offset });
        }
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

  /**
   * Counts an accepted gap, and logs it once. At warn when the stored offset itself points at records that are gone
   * (below the log start, or where the runtime just sought): the thing an operator should know after a rebuild or
   * a long stop. At debug when reading on from the previous batch simply met offsets the cleaner removed: on a
   * compacted topic that is every other batch, and no news.
   */
  const reportGap = (partition: number, gap: { from: string; to: string }) => {
    const key = `${gap.from}..${gap.to}`;
    if (reportedGaps.get(partition) === key) return;
    reportedGaps.set(partition, key);
    const skipped = BigInt(gap.to) - BigInt(gap.from);
    const labels = { topic: spec.topic, partition: String(partition) };
    metrics.offsetGaps.inc(labels);
    metrics.offsetsSkipped.inc(labels, Number(skipped));
    // The first batch since the assignment starts at the stored offset, even when the seek's bookkeeping (soughtTo,
    // log starts) has not finished yet on a busy machine.
    const notable =
      !readSinceJoin.has(partition) ||
      soughtTo.get(partition) === gap.from ||
      BigInt(logStarts.get(partition) ?? '0') > BigInt(gap.from);
    (notable ? log.warn.bind(log) : log.debug.bind(log))(
      { topic: spec.topic, partition, from: gap.from, to: gap.to, skipped: skipped.toString() },
      'offset gap accepted: Kafka no longer holds these offsets (retention or compaction); reading on from the first it has',
    );
  };

  /** Sends dead letters the broker has not acknowledged yet during this batch (a retry or a split re-emits them). */
  const sendOnce = async (letters: readonly DeadLetter[], sent: Set<string>): Promise<void> => {
    const fresh = letters.filter((letter) => !sent.has(letterKey(letter)));
    await sendDeadLetters(producer, fresh, spec.service, now());
    for (const letter of fresh) sent.add(letterKey(letter));
  };

  /**
   * Reconciles a fetched batch with `position`, the next offset to apply (the stored one, or the end of what a
   * coalescing consumer holds): seeks, drops a stale batch, skips what is already applied. Returns the messages to
   * apply, or undefined when there are none.
   */
  const newMessages = async (
    payload: EachBatchPayload,
    position: string | undefined,
    progress: { offset: string },
  ): Promise<KafkaMessage[] | undefined> => {
    const { batch } = payload;
    const partition = batch.partition;
    const first = batch.firstOffset() ?? batch.messages[0]!.offset;
    progress.offset = position ?? first;
    const decide = () =>
      reconcile({
        stored: position,
        firstOffset: first,
        logStart: logStarts.get(partition),
        soughtTo: soughtTo.get(partition),
        fetchedOffset: fetchedOffsetOf(batch),
      });
    let decision = decide();
    // Before seeking back, learn whether retention moved the log start past the stored offset (rare: one request).
    if (decision.action === 'seek') {
      await refreshLogStarts();
      decision = decide();
    }
    // A seek issued meanwhile (on assignment) makes this batch one fetched before it: drop it.
    if (payload.isStale()) return undefined;
    if (decision.action === 'seek') {
      log.info({ topic: spec.topic, partition, offset: decision.toOffset, batchFirstOffset: first }, 'seeking');
      soughtTo.set(partition, decision.toOffset);
      metrics.seeks.inc({ topic: spec.topic, partition: String(partition) });
      consumer.seek({ topic: spec.topic, partition, offset: decision.toOffset });
      return undefined;
    }
    if (decision.gap !== undefined) reportGap(partition, decision.gap);
    const start = BigInt(decision.fromOffset);
    const messages =
      BigInt(batch.messages[0]!.offset) >= start
        ? batch.messages
        : batch.messages.filter((message) => BigInt(message.offset) >= start);
    // A batch fetched from before the stored offset (kafkajs's first fetch, before the assignment's seek) whose first
    // record at or after it lies past it: a fetch returns every record Kafka still has from where it starts, so the
    // offsets in between are gone (compaction), a gap as proven as reconcile's. Unreported, a stored offset pointing
    // at removed records went unseen whenever that first fetch won the race with the seek.
    if (BigInt(first) < start && messages.length > 0 && BigInt(messages[0]!.offset) > start) {
      reportGap(partition, { from: start.toString(), to: messages[0]!.offset });
    }
    readSinceJoin.add(partition);
    // kafkajs fetches from the last resolved offset: resolve even what we skip, or it comes back.
    if (messages.length === 0) {
      payload.resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
      return undefined;
    }
    return messages;
  };

  /**
   * One attempt at a batch: reconcile with the stored offset, decode, then apply it, bisecting on deterministic
   * failures. Returns undefined when there was nothing to apply (a seek, or records already applied). Each slice's
   * dead letters are reported (`report`: logged, counted) as soon as its commit is made: reported at the end of the
   * attempt, the letters of slices committed before a later slice failed transiently were never reported, since the
   * retry skips what is committed (error-isolation.int.test.ts counted 1 of 3).
   */
  const attemptBatch = async (
    payload: EachBatchPayload,
    sent: Set<string>,
    progress: { offset: string },
    report: (letters: readonly DeadLetter[]) => void,
  ): Promise<Applied | undefined> => {
    const { batch } = payload;
    const partition = batch.partition;
    const offsets = await storedOffsets();
    const messages = await newMessages(payload, offsets.get(partition), progress);
    if (messages === undefined) return undefined;
    const { records, letters: decodeLetters } = await decodeAll(spec.codec, batch.topic, partition, messages);
    const applied: Applied = { to: offsets.get(partition) ?? '0', decoded: records.length, results: 0, letters: [] };

    const advance = (to: string, lastOffset: string) => {
      offsets.set(partition, to);
      noteCommitted(partition, to);
      applied.to = to;
      progress.offset = to;
      payload.resolveOffset(lastOffset);
    };
    await bisect(messages, {
      isDeterministic: (error) => classifyError(error).kind === 'deterministic',
      apply: async (run) => {
        const low = BigInt(run[0]!.offset);
        const lastOffset = run[run.length - 1]!.offset;
        const high = BigInt(lastOffset);
        // The whole batch (the usual case) needs no slicing.
        const whole = run.length === messages.length;
        const within = (offset: string) => whole || (BigInt(offset) >= low && BigInt(offset) <= high);
        progress.offset = run[0]!.offset;
        const deadLetters = sideOutput<DeadLetter>();
        const pipeline = stepper(spec.pipeline({ deadLetters }), toArray<R>());
        pipeline.step(whole ? records : records.filter((record) => within(record.offset)));
        const results = pipeline.complete();
        const letters = [...decodeLetters.filter((letter) => within(letter.record.offset)), ...deadLetters.drain()];
        await sendOnce(letters, sent);
        const to = (high + 1n).toString();
        await spec.commit(results, { topic: spec.topic, partition, from: offsets.get(partition), to });
        advance(to, lastOffset);
        report(letters);
        applied.results += results.length;
        applied.letters.push(...letters);
        if (run.length < messages.length) log.debug({ topic: spec.topic, partition, to }, 'slice committed');
      },
      onSplit: (run, error) =>
        log.warn(
          {
            topic: spec.topic,
            partition,
            fromOffset: run[0]!.offset,
            toOffset: run[run.length - 1]!.offset,
            records: run.length,
            reason: classifyError(error).reason,
          },
          'deterministic failure: bisecting the batch to isolate the record',
        ),
      setAside: async (message, error) => {
        const decided = classifyError(error);
        const errorClass = decided.kind === 'deterministic' ? decided.errorClass : 'Error';
        const reason = error instanceof Error ? error.message : String(error);
        if (!records.some((record) => record.offset === message.offset)) {
          // Already dead-lettered when decoding: it took no part, so the failure is not about it.
          throw new IsolationFailedError(`${spec.topic}[${partition}]@${message.offset}: ${reason}`, { cause: error });
        }
        const letter: DeadLetter = {
          record: rawRecord(batch.topic, partition, message),
          error: isPoison(error) ? error : poison(errorClass, reason, error),
        };
        await sendOnce([letter], sent);
        const to = (BigInt(message.offset) + 1n).toString();
        try {
          await spec.commit([], { topic: spec.topic, partition, from: offsets.get(partition), to });
        } catch (commitError) {
          if (classifyError(commitError).kind !== 'deterministic') throw commitError;
          throw new IsolationFailedError(
            `${spec.topic}[${partition}]: the commit fails even without the record at ${message.offset}: ${String(commitError)}`,
            { cause: commitError },
          );
        }
        advance(to, message.offset);
        report([letter]);
        applied.letters.push(letter);
        metrics.isolated.inc({ topic: spec.topic, error_class: errorClass });
      },
    });
    return applied;
  };

  /** Logs and counts dead letters the broker acknowledged. */
  const reportLetters = (partition: number, letters: readonly DeadLetter[]) => {
    for (const letter of letters) {
      const errorClass = isPoison(letter.error) ? letter.error.errorClass : 'Error';
      metrics.deadLettered.inc({ topic: spec.topic, error_class: errorClass });
      log.warn(
        { topic: spec.topic, partition, offset: letter.record.offset, errorClass, reason: String(letter.error) },
        'dead-lettered',
      );
    }
  };

  /** After a commit: the lag-tool hint, metrics, a debug log. */
  const reportCommit = (
    partition: number,
    applied: Omit<Applied, 'letters'> & { letters?: readonly DeadLetter[] },
    started: bigint,
    highWatermark: string,
    message: string,
  ) => {
    hints.note(partition, applied.to);
    log.debug(
      {
        topic: spec.topic,
        partition,
        to: applied.to,
        results: applied.results,
        deadLetters: applied.letters?.length ?? 0,
      },
      message,
    );
    metrics.recordsIn.inc({ topic: spec.topic }, applied.decoded);
    metrics.recordsOut.inc({ topic: spec.topic }, applied.results);
    metrics.batchSeconds.observe({ topic: spec.topic }, Number(process.hrtime.bigint() - started) / 1e9);
    const labels = { topic: spec.topic, partition: String(partition) };
    metrics.lag.set(labels, Math.max(0, Number(BigInt(highWatermark) - BigInt(applied.to))));
  };

  // Coalescing across fetches (spec.commitIntervalMs): what each partition holds since its last commit.
  const bounds: CommitBounds | undefined =
    spec.commitIntervalMs !== undefined && spec.commitIntervalMs > 0
      ? { intervalMs: spec.commitIntervalMs, maxRecords: spec.commitMaxRecords ?? 10_000 }
      : undefined;
  const holds = new Map<number, HeldResults<R>>();
  /** Partitions read again batch by batch up to this offset, after their coalesced commit failed deterministically. */
  const batchByBatchUntil = new Map<number, bigint>();
  /** Dead letters acknowledged per partition since its last commit (coalescing only). */
  const sentSinceCommit = new Map<number, Set<string>>();
  const sentOf = (partition: number): Set<string> => {
    let sent = sentSinceCommit.get(partition);
    if (sent === undefined) sentSinceCommit.set(partition, (sent = new Set()));
    return sent;
  };
  /**
   * Dead letters logged and counted per partition since its last commit (coalescing only). A hold reports its letters
   * when they are sent; a fallback that reads the range again batch by batch gets them back from attemptBatch, and
   * reporting them again made tally_dead_lettered_total and the `dead-lettered` log count each letter twice.
   */
  const reportedSinceCommit = new Map<number, Set<string>>();
  /** The letters not reported since the partition's last commit, now marked as reported. */
  const unreported = (partition: number, letters: readonly DeadLetter[]): DeadLetter[] => {
    let reported = reportedSinceCommit.get(partition);
    if (reported === undefined) reportedSinceCommit.set(partition, (reported = new Set()));
    const fresh: DeadLetter[] = [];
    for (const letter of letters) {
      const key = letterKey(letter);
      if (reported.has(key)) continue;
      reported.add(key);
      fresh.push(letter);
    }
    return fresh;
  };
  /** After a commit that covers everything held or read again: the partition's letters start afresh. */
  const forgetLetters = (partition: number) => {
    sentSinceCommit.delete(partition);
    reportedSinceCommit.delete(partition);
  };
  /** One piece of work per partition at a time: its batches, and the timer's or stop's commit of what it holds. */
  const partitionTurns = new Map<number, Promise<unknown>>();
  const exclusive = <V>(partition: number, work: () => Promise<V>): Promise<V> => {
    const turn = (partitionTurns.get(partition) ?? Promise.resolve()).then(work, work);
    partitionTurns.set(
      partition,
      turn.catch(() => undefined),
    );
    return turn;
  };

  /**
   * Commits what a partition holds, with offsets from the stored one to the end of its last held batch, fenced on
   * the stored one. A deterministic failure drops the hold and reads its range again batch by batch (bisect finds the
   * record); a conflict drops it (another member owns the partition); a transient failure keeps it and throws.
   */
  const commitHeld = async (partition: number, held: HeldResults<R>): Promise<void> => {
    const started = process.hrtime.bigint();
    try {
      await spec.commit(held.results, { topic: spec.topic, partition, from: held.from, to: held.to });
    } catch (error) {
      const decided = classifyError(error);
      if (decided.kind === 'transient') throw error;
      if (holds.get(partition) === held) holds.delete(partition);
      if (decided.kind === 'conflict') {
        // kafkajs has read past what was held: read again from what the database says now (if the partition is
        // still ours; otherwise its new owner does).
        forgetStored();
        const offset = startOffset((await storedOffsets()).get(partition), logStarts.get(partition));
        soughtTo.set(partition, offset);
        metrics.seeks.inc({ topic: spec.topic, partition: String(partition) });
        consumer.seek({ topic: spec.topic, partition, offset });
        throw error;
      }
      const offset = startOffset(held.from, logStarts.get(partition));
      log.warn(
        {
          topic: spec.topic,
          partition,
          fromOffset: held.start,
          toOffset: held.to,
          records: held.records,
          reason: decided.reason,
        },
        'deterministic failure of a coalesced commit: reading its range again batch by batch',
      );
      batchByBatchUntil.set(partition, BigInt(held.to));
      soughtTo.set(partition, offset);
      metrics.seeks.inc({ topic: spec.topic, partition: String(partition) });
      consumer.seek({ topic: spec.topic, partition, offset });
      return;
    }
    if (holds.get(partition) === held) holds.delete(partition);
    noteCommitted(partition, held.to);
    forgetLetters(partition);
    const applied = { to: held.to, decoded: held.decoded, results: held.results.length };
    reportCommit(partition, applied, started, held.highWatermark, 'held batches committed');
  };

  /**
   * One attempt at a batch of a coalescing consumer: decode it and run the pipeline, send its dead letters, hold the
   * results, move kafkajs on (resolveOffset), and commit what the partition holds once it is due. A pipeline that
   * fails deterministically commits what is held first, then isolates its record as without coalescing. Returns
   * what a batch-by-batch attempt applied, else undefined (commits of held batches report themselves).
   */
  const attemptHeld = async (
    payload: EachBatchPayload,
    sent: Set<string>,
    progress: { offset: string },
    commitBounds: CommitBounds,
  ): Promise<Applied | undefined> => {
    const { batch } = payload;
    const partition = batch.partition;
    // A range read again batch by batch brings back letters its hold reported already.
    const report = (letters: readonly DeadLetter[]) => reportLetters(partition, unreported(partition, letters));
    const until = batchByBatchUntil.get(partition);
    if (until !== undefined) {
      const applied = await attemptBatch(payload, sent, progress, report);
      if (applied !== undefined && BigInt(applied.to) >= until) {
        batchByBatchUntil.delete(partition);
        forgetLetters(partition);
      }
      return applied;
    }
    const offsets = await storedOffsets();
    const held = holds.get(partition);
    const messages = await newMessages(payload, held?.to ?? offsets.get(partition), progress);
    if (messages !== undefined) {
      const { records, letters: decodeLetters } = await decodeAll(spec.codec, batch.topic, partition, messages);
      const deadLetters = sideOutput<DeadLetter>();
      let results: R[];
      try {
        const pipeline = stepper(spec.pipeline({ deadLetters }), toArray<R>());
        pipeline.step(records);
        results = pipeline.complete();
      } catch (error) {
        if (classifyError(error).kind !== 'deterministic') throw error;
        // A record of this batch breaks the pipeline: commit what is held, then isolate it as a batch of its own.
        if (held !== undefined) await commitHeld(partition, held);
        return attemptBatch(payload, sent, progress, report);
      }
      const letters = [...decodeLetters, ...deadLetters.drain()];
      const fresh = letters.filter((letter) => !sent.has(letterKey(letter)));
      await sendOnce(letters, sent);
      report(fresh);
      const last = messages[messages.length - 1]!.offset;
      const hold = held ?? startHold<R>(offsets.get(partition), messages[0]!.offset, Date.now());
      holds.set(partition, hold);
      holdBatch(hold, {
        results,
        records: messages.length,
        decoded: records.length,
        to: (BigInt(last) + 1n).toString(),
        highWatermark: batch.highWatermark,
      });
      progress.offset = hold.to;
      payload.resolveOffset(last);
    }
    // Also when nothing was new: a retry of this batch after its commit failed transiently.
    const current = holds.get(partition);
    if (current !== undefined && commitDue(current, Date.now(), commitBounds)) await commitHeld(partition, current);
    return undefined;
  };

  /** The timer's commit of a hold that is due while its partition receives nothing; retried with backoff. */
  const commitQuiet = async (partition: number, held: HeldResults<R>): Promise<void> => {
    if (holds.get(partition) !== held || stopping) return;
    const labels = { topic: spec.topic, partition: String(partition) };
    try {
      await commitHeld(partition, held);
      if (held.failures > 0) {
        metrics.stalledSeconds.set(labels, 0);
        log.warn({ topic: spec.topic, partition, offset: held.to }, 'partition moves again');
      }
    } catch (error) {
      const decided = classifyError(error);
      if (decided.kind === 'conflict') {
        log.warn({ topic: spec.topic, partition, reason: decided.reason }, 'offset fence: held batches abandoned');
        forgetStored();
        return;
      }
      metrics.retries.inc({ topic: spec.topic });
      held.failures += 1;
      held.failingSince ??= Date.now();
      const elapsedMs = Date.now() - held.failingSince;
      const delay = backoffDelay(held.failures, backoff);
      held.retryAt = Date.now() + delay;
      const context = { topic: spec.topic, partition, offset: held.start, attempt: held.failures, err: error };
      if (retryBudgetExceeded(held.failures, elapsedMs, budget)) {
        metrics.stalledSeconds.set(labels, elapsedMs / 1000);
        log.error(
          { ...context, reason: decided.reason, stalledSeconds: Math.round(elapsedMs / 1000) },
          'partition stalled: a transient failure outlasted its retry budget; still retrying',
        );
      } else {
        log.warn({ ...context, reason: decided.reason, delayMs: delay }, 'held batches failed; retrying');
      }
    }
  };

  const commitQuietOnes = async (commitBounds: CommitBounds): Promise<void> => {
    for (const [partition, held] of holds) {
      const now = Date.now();
      if (now >= held.retryAt && commitDue(held, now, commitBounds))
        await exclusive(partition, () => commitQuiet(partition, held));
    }
  };

  /**
   * Commits everything held, once each partition's work in flight is done: on stop, and on a rebalance while the
   * partitions may still be ours (the fence makes a late commit harmless). What cannot be committed is dropped: its
   * offsets were never stored, so the next owner reads it again.
   */
  const commitAllHeld = async (reason: string): Promise<void> => {
    await Promise.all(partitionTurns.values());
    const all = [...holds];
    await Promise.all(
      all.map(([partition, held]) =>
        exclusive(partition, async () => {
          try {
            await commitHeld(partition, held);
          } catch (error) {
            if (holds.get(partition) === held) holds.delete(partition);
            log.warn(
              { topic: spec.topic, partition, fromOffset: held.start, toOffset: held.to, reason, err: error },
              'held batches dropped: the next owner reads them again',
            );
          }
        }),
      ),
    );
  };

  const processBatch = async (payload: EachBatchPayload): Promise<void> => {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    const partition = batch.partition;
    const labels = { topic: spec.topic, partition: String(partition) };
    const started = process.hrtime.bigint();
    const alive = keepAlive(() => payload.heartbeat(), heartbeatInterval);
    const wait = AbortSignal.any([stopSignal.signal, alive.lost]);
    /**
     * Dead letters acknowledged during this batch, kept across retries and splits so they go out once. When
     * coalescing, the partition's set (everything held since its last commit, which a fallback reads again) is looked
     * up inside the partition's turn instead: a timer's commit that ran before the turn replaces it, and a set taken
     * when the batch arrived would be orphaned, and its letters sent again by a fallback.
     */
    const sent = new Set<string>();
    const progress = { offset: batch.firstOffset() ?? batch.messages[0]!.offset };
    let failingSince: number | undefined;
    let stalled = false;
    try {
      for (let attempt = 1; ; attempt += 1) {
        if (!payload.isRunning() || payload.isStale() || stopping || alive.lost.aborted) return;
        try {
          const applied =
            bounds === undefined
              ? await attemptBatch(payload, sent, progress, (letters) => reportLetters(partition, letters))
              : await exclusive(partition, () => attemptHeld(payload, sentOf(partition), progress, bounds));
          if (stalled) log.warn({ topic: spec.topic, partition, offset: progress.offset }, 'partition moves again');
          if (applied === undefined) return;
          reportCommit(partition, applied, started, batch.highWatermark, 'batch committed');
          await payload.heartbeat().catch(() => undefined);
          return;
        } catch (error) {
          const decided = classifyError(error);
          if (decided.kind === 'conflict') {
            // Another member owns this partition now (or did meanwhile): forget what we knew and re-read.
            log.warn({ topic: spec.topic, partition, reason: decided.reason }, 'offset fence: batch abandoned');
            forgetStored();
            return;
          }
          // Transient (deterministic failures were isolated inside the attempt): same records again, later.
          metrics.retries.inc({ topic: spec.topic });
          failingSince ??= Date.now();
          const elapsedMs = Date.now() - failingSince;
          const delay = backoffDelay(attempt, backoff);
          const context = { topic: spec.topic, partition, offset: progress.offset, attempt, reason: decided.reason };
          if (retryBudgetExceeded(attempt, elapsedMs, budget)) {
            metrics.stalledSeconds.set(labels, elapsedMs / 1000);
            // Once when the budget runs out, then every tenth attempt: loud enough to see, not a flood.
            if (!stalled || attempt % 10 === 0)
              log.error(
                {
                  ...context,
                  err: error,
                  category: decided.kind === 'transient' ? decided.category : decided.kind,
                  stalledSeconds: Math.round(elapsedMs / 1000),
                },
                'partition stalled: a transient failure outlasted its retry budget; still retrying',
              );
            stalled = true;
          } else {
            log.warn({ ...context, err: error, delayMs: delay }, 'batch failed; retrying the same records');
          }
          forgetStored();
          await sleep(delay, undefined, { signal: wait }).catch(() => undefined);
        }
      }
    } finally {
      alive.stop();
      if (stalled) metrics.stalledSeconds.set(labels, 0);
    }
  };

  let quietTimer: NodeJS.Timeout | undefined;
  if (bounds !== undefined) {
    const commitBounds = bounds;
    // Before rejoining, commit what is held while the partitions are likely still ours.
    consumer.on(consumer.events.REBALANCING, () => void commitAllHeld('rebalance'));
    let ticking = false;
    quietTimer = setInterval(
      () => {
        if (ticking || stopping) return;
        ticking = true;
        void commitQuietOnes(commitBounds).finally(() => (ticking = false));
      },
      Math.min(250, Math.max(10, Math.floor(commitBounds.intervalMs / 4))),
    );
    quietTimer.unref();
  }

  await admin.connect();
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
      clearInterval(quietTimer);
      const deadline = spec.shutdownDeadlineMs ?? 10_000;
      const disconnect = async () => {
        if (bounds !== undefined) await commitAllHeld('stop');
        await hints.flush();
        await Promise.all([consumer.disconnect(), admin.disconnect()]);
      };
      await Promise.race([disconnect(), sleep(deadline)]);
    },
  };
}

/** A load of the stored offsets, and the offsets this member committed while it ran. */
interface OffsetsLoad {
  offsets: Promise<Map<number, string>>;
  committed: Map<number, string>;
}

/** kafkajs keeps the offset a batch was fetched from on the batch (not in its typings). */
function fetchedOffsetOf(batch: Batch): string | undefined {
  const fetched = (batch as { fetchedOffset?: unknown }).fetchedOffset;
  return typeof fetched === 'string' ? fetched : undefined;
}

function letterKey(letter: DeadLetter): string {
  const error = letter.error;
  const errorClass = isPoison(error) ? error.errorClass : error instanceof Error ? error.name : 'Error';
  return `${letter.record.offset}\u0000${errorClass}\u0000${error instanceof Error ? error.message : String(error)}`;
}

function rawRecord(topic: string, partition: number, message: KafkaMessage): RawRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    ...(message.headers ? { headers: message.headers } : {}),
  };
}

/** Decodes every message; what cannot decode deterministically is a dead letter, a transient failure throws. */
async function decodeAll<T>(
  codec: ValueCodec<T>,
  topic: string,
  partition: number,
  messages: KafkaMessage[],
): Promise<{ records: ConsumedRecord<T>[]; letters: DeadLetter[] }> {
  const records: ConsumedRecord<T>[] = [];
  const letters: DeadLetter[] = [];
  for (const message of messages) {
    const raw = rawRecord(topic, partition, message);
    try {
      const value = await codec.decode(message.value);
      records.push({
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? null,
        timestamp: message.timestamp,
        value,
        raw,
      });
    } catch (error) {
      const decided = classifyError(error);
      if (decided.kind !== 'deterministic') throw error;
      const reason = error instanceof Error ? error.message : String(error);
      letters.push({ record: raw, error: isPoison(error) ? error : poison(decided.errorClass, reason, error) });
    }
  }
  return { records, letters };
}
