import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@tally/log';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

export interface SmtpSink {
  /** The port it listens on (127.0.0.1), chosen by the system when asked for 0. */
  readonly port: number;
  /** Where each received message lands, as `<time>-<n>.eml`. */
  readonly dir: string;
  close(): Promise<void>;
}

/**
 * A local SMTP server for the demo's mailer: accepts every message without authentication or TLS (127.0.0.1 only)
 * and writes it, exactly as received, to `dir` as an .eml file a mail program opens. Nothing is relayed anywhere.
 *
 * @example
 * const sink = await startSmtpSink('.cache/mail', log); // SMTP_HOST=127.0.0.1 SMTP_PORT=${sink.port} SMTP_TLS=none
 */
export async function startSmtpSink(dir: string, log: Logger, port = 0): Promise<SmtpSink> {
  mkdirSync(dir, { recursive: true });
  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    banner: 'Tally demo SMTP sink: mails are written to files, never delivered',
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null) => void) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received += 1;
        const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${received}.eml`);
        const to = session.envelope.rcptTo.map((r) => r.address);
        writeFile(file, Buffer.concat(chunks)).then(
          () => {
            log.info({ file, to }, 'mail received');
            callback();
          },
          (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
        );
      });
    },
  });
  server.on('error', (error) => log.warn({ err: error }, 'smtp sink: connection error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : port,
    dir,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
