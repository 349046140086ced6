import type { Message } from 'kafkajs';

/** An outbox row after encoding: its message, or the deterministic error that kept it from being one. */
export interface OutboxRow {
  readonly id: string;
  readonly topic: string;
  readonly key: string;
  readonly message: Message | { readonly error: string };
}

export interface Sendable {
  readonly id: string;
  readonly topic: string;
  readonly key: string;
  readonly message: Message;
}

export interface Unsendable {
  readonly id: string;
  readonly topic: string;
  readonly key: string;
  /** Bytes of the encoded message; null when it did not encode. */
  readonly sizeBytes: number | null;
  readonly error: string;
}

export interface OutboxPlan {
  /** In id order. */
  readonly send: readonly Sendable[];
  readonly park: readonly Unsendable[];
}

/**
 * Decides which rows of a batch are sent and which are parked. A row is parked when it did not encode or when its
 * message alone is larger than what a send to its topic may carry; every other row is sent, in order, even a later
 * row for the key of a parked one: values are full and versioned, so the later value supersedes the parked one and
 * nothing is reordered (what the topic holds for that key only moves forward).
 *
 * @example
 * planOutboxBatch(rows, (topic, message) => ({ bytes: messageBytes(message), budget: 943_668 }));
 * // { send: [rows that fit, in id order], park: [{ id, topic, key, sizeBytes, error: 'MessageTooLarge: …' }] }
 */
export function planOutboxBatch(
  rows: readonly OutboxRow[],
  sizeOf: (topic: string, message: Message) => { bytes: number; budget: number },
): OutboxPlan {
  const send: Sendable[] = [];
  const park: Unsendable[] = [];
  for (const row of rows) {
    const { id, topic, key, message } = row;
    if ('error' in message) {
      park.push({ id, topic, key, sizeBytes: null, error: message.error });
      continue;
    }
    const { bytes, budget } = sizeOf(topic, message);
    if (bytes > budget) {
      park.push({
        id,
        topic,
        key,
        sizeBytes: bytes,
        error: `MessageTooLarge: ${bytes} bytes, more than the ${budget} a send to ${topic} may carry`,
      });
      continue;
    }
    send.push({ id, topic, key, message });
  }
  return { send, park };
}
