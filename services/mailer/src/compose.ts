import { poison } from '@tally/kafka';
import type { EmailNotification } from '@tally/records';
import { messageIdHeader } from './message-id.ts';
import { escapeHtml, oneLine, render } from './render.ts';
import type { MailTemplate } from './templates.ts';

/** A mail ready for the SMTP transport: every header and both bodies decided, nothing left to look up. */
export interface ComposedMail {
  /** The notification's id: what the sent table is keyed by. */
  readonly notificationId: string;
  readonly template: string;
  readonly messageId: string;
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface ComposeOptions {
  readonly from: string;
  /** The right-hand side of Message-IDs (our mail domain). */
  readonly domain: string;
}

/**
 * Renders a notification with its template. Pure: the same notification always gives the same mail, Message-ID
 * included. An unknown template or a missing variable throws a poison error: the record is dead-lettered with that
 * reason.
 *
 * @example
 * composeMail({ messageId: 'm-1', template: 'welcome', recipient: 'ada@example.com', variables: { name: 'Ada', accountId: 'a-1' } },
 *   loadTemplates(), { from: 'Tally <hello@tally.example>', domain: 'tally.example' }).subject; // 'Welcome to Tally, Ada'
 */
export function composeMail(
  notification: EmailNotification,
  templates: ReadonlyMap<string, MailTemplate>,
  options: ComposeOptions,
): ComposedMail {
  const template = templates.get(notification.template);
  if (template === undefined)
    throw poison('UnknownTemplate', `no mail template named ${JSON.stringify(notification.template)}`);
  const variables = notification.variables;
  return {
    notificationId: notification.messageId,
    template: notification.template,
    messageId: messageIdHeader(notification.messageId, options.domain),
    from: options.from,
    to: notification.recipient,
    subject: oneLine(render(template.subject, variables, oneLine)),
    text: render(template.text, variables),
    html: render(template.html, variables, escapeHtml),
    headers: { 'X-Tally-Notification': notification.messageId, 'X-Tally-Template': notification.template },
  };
}
