export { composeMail, type ComposedMail, type ComposeOptions } from './compose.ts';
export { mailerConsumerSpec, type MailerConsumerOptions, type PendingMail } from './mail-consumer.ts';
export { messageIdHeader } from './message-id.ts';
export { escapeHtml, render } from './render.ts';
export { SmtpDeliveryError, smtpFailure } from './smtp-failure.ts';
export { smtpSender, type SmtpSender, type SmtpSettings } from './smtp-transport.ts';
export { defaultTemplatesDir, loadTemplates, parseTextTemplate, type MailTemplate } from './templates.ts';
