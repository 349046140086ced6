import { appendFile, mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { trafficSample, type TrafficSample } from '@tally/records';
import {
  dataFileName,
  generationOf,
  readSpoolState,
  syncDirectory,
  writeSpoolState,
  type SpoolState,
} from './spool-state.ts';

export interface SpoolLimits {
  /** Most bytes of unacknowledged records; an append that would exceed it is refused whole. */
  readonly maxBytes: number;
  /** Most unacknowledged records. */
  readonly maxRecords: number;
  /** Rewrite the file once this many acknowledged bytes sit before the unacknowledged ones. Default 1 MiB. */
  readonly compactAfterBytes?: number;
}

/** Counters to export as metrics: the spool's policy is to refuse, never to drop, so refusals must show. */
export interface SpoolStats {
  readonly records: number;
  readonly bytes: number;
  readonly appended: number;
  readonly acknowledged: number;
  /** Samples refused because the spool was full; the caller still holds them. */
  readonly rejected: number;
  /** Bytes of a torn last line found at open (an append that never returned). */
  readonly tornBytesDropped: number;
  /** Complete lines that did not decode at open, moved to quarantine.jsonl rather than deleted. */
  readonly quarantined: number;
}

export class SpoolFullError extends Error {
  override readonly name = 'SpoolFullError';
}

const QUARANTINE_FILE = 'quarantine.jsonl';
const NEWLINE = 0x0a;

/**
 * A bounded, durable, append-only queue of samples on local disk for when the broker is unreachable.
 * JSON lines; every append is fsync'd before it resolves; `peek` reads oldest first; `ack` after a successful
 * send moves a persisted offset, and compaction rewrites the file as a new generation. Reopening resumes
 * where the last acknowledged offset was. Delivery is at-least-once: records sent but not yet acknowledged
 * when the agent dies are sent again, which metering's idempotent merge absorbs.
 * Calls are serialised internally; one process per directory.
 *
 * @example
 * const spool = await Spool.open('/var/lib/tally-agent/spool', { maxBytes: 512 * 2 ** 20, maxRecords: 2_000_000 });
 * await spool.append(samples);
 * const batch = await spool.peek(500);
 * await producer.send(batch);
 * await spool.ack(batch.length);
 */
export class Spool {
  readonly #dir: string;
  readonly #limits: Required<SpoolLimits>;
  #state: SpoolState;
  #handle: FileHandle;
  /** Byte length (with newline) of each unacknowledged record, oldest first, from `#head`. */
  #lengths: number[];
  #head = 0;
  #bytes: number;
  #queue: Promise<unknown> = Promise.resolve();
  #stats: { appended: number; acknowledged: number; rejected: number; tornBytesDropped: number; quarantined: number };

  private constructor(
    dir: string,
    limits: Required<SpoolLimits>,
    state: SpoolState,
    handle: FileHandle,
    lengths: number[],
    recovered: { tornBytesDropped: number; quarantined: number },
  ) {
    this.#dir = dir;
    this.#limits = limits;
    this.#state = state;
    this.#handle = handle;
    this.#lengths = lengths;
    this.#bytes = lengths.reduce((a, b) => a + b, 0);
    this.#stats = { appended: 0, acknowledged: 0, rejected: 0, ...recovered };
  }

  /** Opens (creating if needed) the spool in `dir`, recovering from a crash: see README for what that means. */
  static async open(dir: string, limits: SpoolLimits): Promise<Spool> {
    const full = { compactAfterBytes: 1 << 20, ...limits };
    await mkdir(dir, { recursive: true });
    const state = await readSpoolState(dir);
    // Files of other generations are leftovers: older ones already compacted away, a newer one an interrupted
    // compaction whose content is still in the current file.
    for (const name of await readdir(dir)) {
      const generation = generationOf(name);
      if (generation !== undefined && generation !== state.generation) await unlink(join(dir, name));
    }
    const path = join(dir, dataFileName(state.generation));
    let content: Buffer;
    try {
      content = await readFile(path);
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT')) throw error;
      content = Buffer.alloc(0);
    }
    if (state.offset > content.length) {
      throw new Error(`spool ${path} is shorter (${content.length} B) than its acknowledged offset ${state.offset}`);
    }

    const lastNewline = content.lastIndexOf(NEWLINE);
    const complete = lastNewline < state.offset ? state.offset : lastNewline + 1;
    const tornBytesDropped = content.length - complete;
    const good: Buffer[] = [];
    const bad: Buffer[] = [];
    for (let start = state.offset; start < complete;) {
      const end = content.indexOf(NEWLINE, start);
      const line = content.subarray(start, end + 1);
      if (isSample(line)) good.push(line);
      else bad.push(line);
      start = end + 1;
    }
    if (bad.length > 0) {
      await appendFile(join(dir, QUARANTINE_FILE), Buffer.concat(bad));
      const quarantine = await open(join(dir, QUARANTINE_FILE), 'r');
      await quarantine.sync();
      await quarantine.close();
    }
    const recovered = { tornBytesDropped, quarantined: bad.length };
    const lengths = good.map((line) => line.length);

    if (tornBytesDropped === 0 && bad.length === 0) {
      const handle = await open(path, 'a+');
      return new Spool(dir, full, state, handle, lengths, recovered);
    }
    // Rewrite what is good as the next generation, so the torn tail and bad lines are gone from the data file.
    const next: SpoolState = { generation: state.generation + 1, offset: 0 };
    await writeDurably(join(dir, dataFileName(next.generation)), Buffer.concat(good));
    await writeSpoolState(dir, next);
    await unlink(path).catch(() => undefined);
    const handle = await open(join(dir, dataFileName(next.generation)), 'a+');
    return new Spool(dir, full, next, handle, lengths, recovered);
  }

  /** Unacknowledged records. */
  get size(): number {
    return this.#lengths.length - this.#head;
  }

  stats(): SpoolStats {
    return { records: this.size, bytes: this.#bytes, ...this.#stats };
  }

  #serialised<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(operation);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Appends samples durably (fsync before resolving), all or none. When they do not fit, nothing is written,
   * the `rejected` counter grows and SpoolFullError is thrown: the caller keeps them and decides.
   */
  append(samples: readonly TrafficSample[]): Promise<void> {
    return this.#serialised(async () => {
      if (samples.length === 0) return;
      const lines = samples.map((sample) => Buffer.from(`${JSON.stringify(sample)}\n`));
      const bytes = lines.reduce((sum, line) => sum + line.length, 0);
      if (this.size + samples.length > this.#limits.maxRecords || this.#bytes + bytes > this.#limits.maxBytes) {
        this.#stats.rejected += samples.length;
        throw new SpoolFullError(
          `spool full: ${this.size} records / ${this.#bytes} B held, ${samples.length} records / ${bytes} B refused ` +
            `(limits ${this.#limits.maxRecords} records / ${this.#limits.maxBytes} B)`,
        );
      }
      await this.#handle.appendFile(Buffer.concat(lines));
      await this.#handle.sync();
      for (const line of lines) this.#lengths.push(line.length);
      this.#bytes += bytes;
      this.#stats.appended += samples.length;
    });
  }

  /** Up to `max` of the oldest unacknowledged samples, without removing them. */
  peek(max: number): Promise<TrafficSample[]> {
    return this.#serialised(async () => {
      const count = Math.min(max, this.size);
      if (count <= 0) return [];
      const lengths = this.#lengths.slice(this.#head, this.#head + count);
      const total = lengths.reduce((a, b) => a + b, 0);
      const buffer = Buffer.alloc(total);
      await this.#handle.read(buffer, 0, total, this.#state.offset);
      const samples: TrafficSample[] = [];
      let start = 0;
      for (const length of lengths) {
        samples.push(trafficSample.parse(JSON.parse(buffer.toString('utf8', start, start + length - 1))));
        start += length;
      }
      return samples;
    });
  }

  /** Marks the `count` oldest records as sent. Persists the new offset durably; compacts when worthwhile. */
  ack(count: number): Promise<void> {
    return this.#serialised(async () => {
      if (!Number.isInteger(count) || count < 0 || count > this.size) {
        throw new RangeError(`cannot acknowledge ${count} of ${this.size} records`);
      }
      if (count === 0) return;
      const acked = this.#lengths.slice(this.#head, this.#head + count).reduce((a, b) => a + b, 0);
      this.#head += count;
      this.#bytes -= acked;
      this.#stats.acknowledged += count;
      this.#state = { ...this.#state, offset: this.#state.offset + acked };
      if (this.size === 0 || this.#state.offset >= this.#limits.compactAfterBytes) await this.#compact();
      else await writeSpoolState(this.#dir, this.#state);
    });
  }

  async #compact(): Promise<void> {
    const remaining = Buffer.alloc(this.#bytes);
    if (this.#bytes > 0) await this.#handle.read(remaining, 0, this.#bytes, this.#state.offset);
    const next: SpoolState = { generation: this.#state.generation + 1, offset: 0 };
    await writeDurably(join(this.#dir, dataFileName(next.generation)), remaining);
    await writeSpoolState(this.#dir, next);
    await this.#handle.close();
    await unlink(join(this.#dir, dataFileName(this.#state.generation)));
    this.#state = next;
    this.#handle = await open(join(this.#dir, dataFileName(next.generation)), 'a+');
    this.#lengths = this.#lengths.slice(this.#head);
    this.#head = 0;
  }

  /** Waits for pending calls and closes the file; everything acknowledged or appended is already durable. */
  close(): Promise<void> {
    return this.#serialised(() => this.#handle.close());
  }
}

function isSample(line: Buffer): boolean {
  try {
    return trafficSample.safeParse(JSON.parse(line.toString('utf8'))).success;
  } catch {
    return false;
  }
}

async function writeDurably(path: string, content: Buffer): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await syncDirectory(join(path, '..'));
}
