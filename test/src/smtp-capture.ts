import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

/** One message as the SMTP server accepted it (every delivery, resends included). */
export interface Delivery {
  readonly recipient: string;
  readonly messageId: string | undefined;
  /** The notification id (X-Tally-Notification) and template (X-Tally-Template) the mailer sets. */
  readonly notification: string | undefined;
  readonly template: string | undefined;
  readonly raw: string;
}

export interface SmtpCapture {
  readonly port: number;
  /** Every accepted message, in order of acceptance: raw deliveries, never deduplicated. */
  readonly deliveries: readonly Delivery[];
  /** Connections that ended in an error (a killed mailer resets its connection). */
  readonly connectionErrors: readonly string[];
  close(): Promise<void>;
}

function header(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/, 1)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  return new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(head)?.[1]?.trim();
}

/**
 * A real SMTP server (the `smtp-server` package) on a free local port, without TLS or authentication, that keeps
 * every message it accepts: what the mailer's recipients would find in their inboxes, before any deduplication.
 *
 * @example
 * const smtp = await startSmtpCapture();
 * // mailer with SMTP_PORT=smtp.port, SMTP_TLS=none ... then smtp.deliveries
 */
export async function startSmtpCapture(): Promise<SmtpCapture> {
  const deliveries: Delivery[] = [];
  const connectionErrors: string[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null) => void) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        deliveries.push({
          recipient: session.envelope.rcptTo[0]?.address ?? '',
          messageId: header(raw, 'Message-ID'),
          notification: header(raw, 'X-Tally-Notification'),
          template: header(raw, 'X-Tally-Template'),
          raw,
        });
        callback();
      });
    },
  });
  // A mailer SIGKILLed mid-conversation resets its connection: expected here, and without a listener the server's
  // 'error' event would be an uncaught exception that fails the whole test run.
  server.on('error', (error: Error) => connectionErrors.push(error.message));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    deliveries,
    connectionErrors,
    close: () => new Promise<void>((resolve) => server.close(resolve)),
  };
}
