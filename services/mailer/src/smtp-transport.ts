import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import type { ComposedMail } from './compose.ts';
import { smtpFailure } from './smtp-failure.ts';

export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  /** `tls`: TLS from the first byte (port 465); `starttls`: upgrade required; `none`: plain (a local relay only). */
  readonly tls: 'tls' | 'starttls' | 'none';
  readonly user?: string | undefined;
  /** A file holding the password: credentials never sit in the environment or a log line. */
  readonly passwordFile?: string | undefined;
  readonly timeoutMs: number;
}

/** Hands a mail to the SMTP server; resolves with the server's reply once it accepted the mail (250). */
export interface SmtpSender {
  send(mail: ComposedMail): Promise<string>;
  close(): void;
}

/**
 * nodemailer's SMTP transport over a small connection pool. Every failure comes back as an `SmtpDeliveryError` that
 * says whether a retry can help (smtp-failure.ts).
 */
export function smtpSender(settings: SmtpSettings): SmtpSender {
  const pass = settings.passwordFile === undefined ? undefined : readFileSync(settings.passwordFile, 'utf8').trim();
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: 2,
    host: settings.host,
    port: settings.port,
    secure: settings.tls === 'tls',
    requireTLS: settings.tls === 'starttls',
    ignoreTLS: settings.tls === 'none',
    connectionTimeout: settings.timeoutMs,
    greetingTimeout: settings.timeoutMs,
    socketTimeout: settings.timeoutMs,
    ...(settings.user === undefined ? {} : { auth: { user: settings.user, pass: pass ?? '' } }),
  });
  return {
    async send(mail) {
      try {
        const info = await transport.sendMail({
          messageId: mail.messageId,
          from: mail.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          headers: { ...mail.headers },
        });
        return String(info.response);
      } catch (error) {
        throw smtpFailure(error);
      }
    },
    close: () => transport.close(),
  };
}
