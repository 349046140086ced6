import { advanceOffset, inTransaction, loadOffsets, type Pool } from '@tally/db';
import type { BackoffOptions, ConsumerSpec, ValueCodec } from '@tally/kafka';
import type { Logger } from '@tally/log';
import type { EmailNotification } from '@tally/records';
import { map } from '@tally/stream';
import { composeMail, type ComposedMail, type ComposeOptions } from './compose.ts';
import type { MailTemplate } from './templates.ts';

export interface MailerConsumerOptions {
  readonly service: string;
  readonly groupId: string;
  readonly topic: string;
  readonly codec: ValueCodec<EmailNotification>;
  readonly pool: Pool;
  readonly templates: ReadonlyMap<string, MailTemplate>;
  readonly compose: ComposeOptions;
  /** Delivers one mail over SMTP; throws an error marked retryable or not (smtp-failure.ts). */
  readonly send: (mail: ComposedMail) => Promise<string>;
  readonly log: Logger;
  readonly sessionTimeoutMs?: number;
  readonly backoff?: BackoffOptions;
}

/** A rendered mail with the offset of the record it came from. */
export interface PendingMail {
  readonly offset: string;
  readonly mail: ComposedMail;
}

/**
 * notifications.email → SMTP, one mail at a time. Rendering is pure and runs in the pipeline (an unknown template or
 * a missing variable dead-letters the record). The commit then, for each mail in offset order: skips it if
 * `mailer_sent` already holds its notification id (an outbox resend, a replay); else sends it; then, in one
 * transaction, records it in `mailer_sent` and moves the stored offset just past it, fenced on the previous one.
 *
 * So a crash can only lose the commit of the one mail that was being sent: after a restart that record is read
 * again, is not in `mailer_sent`, and is sent once more, with the same Message-ID. Every mail before it is
 * recorded with its offset and never sent again. A failure half-way through a batch leaves the mails before it
 * committed; the runtime reloads the stored offset and goes on from the failed one (retried if transient,
 * dead-lettered if permanent).
 */
export function mailerConsumerSpec(options: MailerConsumerOptions): ConsumerSpec<EmailNotification, PendingMail> {
  const { pool, groupId, topic, templates, compose, send, log } = options;
  return {
    service: options.service,
    groupId,
    topic,
    codec: options.codec,
    ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: options.sessionTimeoutMs }),
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    pipeline: () => map((record) => ({ offset: record.offset, mail: composeMail(record.value, templates, compose) })),
    loadOffsets: (name) => loadOffsets(pool, groupId, name),
    commit: async (results, offsets) => {
      let from = offsets.from;
      for (const { offset, mail } of results) {
        const next = (BigInt(offset) + 1n).toString();
        const known = await pool.query('SELECT 1 FROM mailer_sent WHERE message_id = $1', [mail.notificationId]);
        const response = known.rowCount === 0 ? await send(mail) : undefined;
        await inTransaction(pool, async (client) => {
          if (response !== undefined) {
            await client.query(
              `INSERT INTO mailer_sent (message_id, header_id, template, recipient, smtp_response)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT (message_id) DO NOTHING`,
              [mail.notificationId, mail.messageId, mail.template, mail.to, response.slice(0, 1_000)],
            );
          }
          await advanceOffset(client, groupId, offsets.topic, offsets.partition, from, next);
        });
        if (response === undefined)
          log.info({ notification: mail.notificationId, template: mail.template }, 'already sent; skipped');
        else
          log.info(
            { notification: mail.notificationId, messageId: mail.messageId, template: mail.template, offset },
            'mail sent',
          );
        from = next;
      }
      // Records after the last mail that were dead-lettered (or an empty slice): move the offset past them too.
      if (from !== offsets.to) {
        await inTransaction(pool, (client) =>
          advanceOffset(client, groupId, offsets.topic, offsets.partition, from, offsets.to),
        );
      }
    },
  };
}
