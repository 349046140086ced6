import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@tally/log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';

let sink: SmtpSink;

beforeAll(async () => {
  sink = await startSmtpSink(join(mkdtempSync(join(tmpdir(), 'smtp-sink-')), 'mail'), createLogger('test', 'warn'));
});
afterAll(() => sink.close());

/** One SMTP conversation as a plain client has it: each command waits for the server's answer. */
async function send(port: number, lines: readonly string[]): Promise<string[]> {
  const socket = connect(port, '127.0.0.1');
  const replies: string[] = [];
  let buffer = '';
  let waiting: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    // A reply ends with a line "NNN text" (a dash after the code means more lines follow).
    if (/(^|\r\n)\d{3} [^\r\n]*\r\n$/.test(buffer)) {
      replies.push(buffer);
      buffer = '';
      waiting?.();
    }
  });
  const reply = () => new Promise<void>((resolve) => (waiting = resolve));
  await reply(); // the banner
  for (const line of lines) {
    const answered = reply();
    socket.write(`${line}\r\n`);
    await answered;
  }
  socket.end();
  return replies;
}

describe('startSmtpSink', () => {
  it('keeps each message exactly as sent, one .eml file each, and refuses AUTH', async () => {
    const message = 'From: a@tally.example\r\nTo: b@example.com\r\nSubject: Hello\r\n\r\nbody line\r\n';
    const replies = await send(sink.port, [
      'EHLO test',
      'AUTH PLAIN AGFAYg==',
      'MAIL FROM:<a@tally.example>',
      'RCPT TO:<b@example.com>',
      'DATA',
      `${message}.`,
      'QUIT',
    ]);
    expect(replies[2]).toMatch(/^5\d\d /); // AUTH is disabled: nothing here needs a password
    expect(replies[6]).toMatch(/^250 /);
    const files = readdirSync(sink.dir).filter((f) => f.endsWith('.eml'));
    expect(files).toHaveLength(1);
    expect(readFileSync(join(sink.dir, files[0]!), 'utf8')).toBe(message);
  });
});
