import { createHash } from 'node:crypto';

/**
 * The RFC 5322 Message-ID of a notification: a hash of its `messageId`, which the producer derives from (account,
 * template, trigger). The same notification always gets the same Message-ID, so a mail resent after a crash (the one
 * in flight) is recognisably the same mail to the receiving server and the reader's client.
 *
 * @example
 * messageIdHeader('drip.a-1.welcome.1767225600000', 'tally.example'); // '<3f1c…@tally.example>'
 */
export function messageIdHeader(messageId: string, domain: string): string {
  const digest = createHash('sha256').update(messageId, 'utf8').digest('hex').slice(0, 40);
  return `<${digest}@${domain}>`;
}
