import type { IHeaders, Message } from 'kafkajs';

/**
 * Sizes of what we send, so that no request exceeds a topic's `max.message.bytes`. The broker checks that limit
 * against each record batch (all records of one partition in one produce request); we check it against a whole
 * send, which is stricter and needs no knowledge of partitioning.
 */

/** Record batch header (v2): base offset, length, epoch, magic, CRC, attributes, deltas, ids, count. */
const BATCH_OVERHEAD = 61;
/** Per record, at the varints' widest: length, attributes, timestamp and offset deltas, key and value lengths, header count. */
const RECORD_OVERHEAD = 40;
/** Per header: the two length varints. */
const HEADER_OVERHEAD = 10;

function bytesOf(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

/** Bytes of a message's headers as the record stores them. */
export function headersBytes(headers: IHeaders | undefined): number {
  let total = 0;
  for (const [name, value] of Object.entries(headers ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    for (const one of values) total += HEADER_OVERHEAD + Buffer.byteLength(name) + bytesOf(one);
  }
  return total;
}

/**
 * An upper bound of the bytes one message takes in a record batch (uncompressed).
 *
 * @example
 * messageBytes({ key: 'k', value: Buffer.alloc(100) }); // 141
 */
export function messageBytes(message: Pick<Message, 'key' | 'value' | 'headers'>): number {
  return RECORD_OVERHEAD + bytesOf(message.key) + bytesOf(message.value) + headersBytes(message.headers);
}

/**
 * What a send may carry under a topic limit: the limit less the batch header and a margin of 10 % (the request
 * framing, and the broker's own accounting, which we do not model byte for byte).
 *
 * @example
 * sendBudget(1_048_588); // 943_668: the default limit
 */
export function sendBudget(maxMessageBytes: number): number {
  return Math.max(0, Math.floor(maxMessageBytes * 0.9) - BATCH_OVERHEAD);
}

/**
 * Splits `items` into consecutive chunks whose sizes sum to at most `budget`, keeping their order. An item
 * larger than the budget on its own gets a chunk of its own (callers shrink or park such items first).
 *
 * @example
 * splitBySize([4, 4, 4, 9, 1], (n) => n, 8); // [[4, 4], [4], [9], [1]]
 */
export function splitBySize<T>(items: readonly T[], sizeOf: (item: T) => number, budget: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let used = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && used + size > budget) {
      chunks.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
