import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import {
  createIdempotentProducer,
  createKafka,
  createRegistry,
  deadLetterHeaders,
  deadLetterTopicOf,
  readToEnd,
  typedTopics,
  valueCodec,
} from '@tally/kafka';
import { createLogger } from '@tally/log';
import type { EmailNotification } from '@tally/records';
import { eventually, startNodeChild, type ChildHandle } from '@tally/testing';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFreshTopics, freshTopic, mailerTopicEnv, quickMailerEnv } from '../../../test/src/abuse-drip-topics.ts';
import { messageIdHeader } from './message-id.ts';

/**
 * The mailer process against a real SMTP server (smtp-server, started here) and the real broker and database:
 * delivery, the same Message-ID when a crash between sending and committing makes it send again, 4xx retried,
 * 5xx and bad notifications dead-lettered.
 */

const endpoints = loadConfig(connectionEnv);
const log = createLogger('mailer-test', 'warn');
const kafka = createKafka('mailer-test', endpoints.KAFKA_BROKERS, log);
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const mainEntry = fileURLToPath(new URL('./main.ts', import.meta.url));
const run = `ml${randomBytes(4).toString('hex')}`;
const topic = freshTopic(run, typedTopics.emailNotifications, 'email', 1);
const groupId = `${run}-mailer`;
const DOMAIN = 'mail.test.example';

interface Received {
  recipient: string;
  messageId: string | undefined;
  notification: string | undefined;
  subject: string | undefined;
  raw: string;
}

/** What the SMTP server accepted, in order. */
const received: Received[] = [];
/** RCPT TO attempts per address, to answer 451 to the first ones of a flaky mailbox. */
const attempts = new Map<string, number>();

function header(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/, 1)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  return new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(head)?.[1]?.trim();
}

const smtp = new SMTPServer({
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, callback: (error?: Error | null) => void) {
    const count = (attempts.get(address.address) ?? 0) + 1;
    attempts.set(address.address, count);
    const refuse = (code: number, text: string) => callback(Object.assign(new Error(text), { responseCode: code }));
    if (address.address.startsWith('nobody@')) return refuse(550, '5.1.1 no such mailbox');
    if (address.address.startsWith('busy@') && count <= 2) return refuse(451, '4.3.2 try again later');
    callback();
  },
  onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null) => void) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      received.push({
        recipient: session.envelope.rcptTo[0]?.address ?? '',
        messageId: header(raw, 'Message-ID'),
        notification: header(raw, 'X-Tally-Notification'),
        subject: header(raw, 'Subject'),
        raw,
      });
      callback();
    });
  },
});
// The mailer is SIGKILLed mid-conversation below: the reset connection is expected, and an 'error' event without a
// listener would be an uncaught exception that fails the whole test run.
smtp.on('error', () => undefined);

let db: TestDatabase;
let producer: ReturnType<typeof createIdempotentProducer>;
let smtpPort = 0;
let child: ChildHandle | undefined;
const codec = valueCodec(registry, topic);

function startMailer(): ChildHandle {
  return startNodeChild(mainEntry, {
    DB_SCHEMA: db.schema,
    ...mailerTopicEnv(groupId, topic),
    ...quickMailerEnv(smtpPort),
    MAIL_MESSAGE_ID_DOMAIN: DOMAIN,
  });
}

async function stopMailer(signal: NodeJS.Signals): Promise<void> {
  if (child === undefined) return;
  child.process.kill(signal);
  await child.exited;
  child = undefined;
}

async function publish(...notifications: EmailNotification[]): Promise<void> {
  await producer.send({
    topic: topic.spec.name,
    acks: -1,
    messages: await Promise.all(notifications.map(async (n) => ({ key: n.messageId, value: await codec.encode(n) }))),
  });
}

function notification(id: string, recipient: string, template = 'welcome'): EmailNotification {
  return { messageId: `${run}.${id}`, template, recipient, variables: { name: 'Ada', accountId: `${run}-a` } };
}

const copies = (id: string) => received.filter((mail) => mail.notification === `${run}.${id}`);

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  if (!(await eventually(async () => check(), timeoutMs)))
    throw new Error(`timed out waiting for ${what}\n${child?.output().slice(-4_000) ?? ''}`);
}

beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
  await createFreshTopics(kafka, registry, [topic], [topic]);
  producer = createIdempotentProducer(kafka);
  await producer.connect();
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await stopMailer('SIGTERM');
  await producer?.disconnect();
  await new Promise<void>((resolve) => smtp.close(resolve));
  await db?.drop();
});

describe('mailer', () => {
  it('delivers, and after a crash between sending and committing sends that one mail again with the same Message-ID', async () => {
    child = startMailer();
    await publish(notification('a', 'ada@example.com'));
    await until('mail a', () => copies('a').length === 1);
    const sentA = async () =>
      (await db.pool.query('SELECT 1 FROM mailer_sent WHERE message_id = $1', [`${run}.a`])).rowCount === 1;
    await until('mail a recorded', sentA);
    expect(copies('a')[0]!.messageId).toBe(messageIdHeader(`${run}.a`, DOMAIN));
    expect(copies('a')[0]!.subject).toBe('Welcome to Tally, Ada');
    expect(copies('a')[0]!.raw).toMatch(/Content-Type: text\/html/i);
    expect(copies('a')[0]!.raw).toMatch(/Content-Type: text\/plain/i);

    // Hold the offset row: the mailer can send b but not commit it. Kill it there, in the window that matters.
    const blocker = await db.pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM consumer_offsets WHERE group_id = $1 FOR UPDATE', [groupId]);
      await publish(notification('b', 'bob@example.com'));
      await until('mail b', () => copies('b').length === 1);
      await stopMailer('SIGKILL');
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
    const recorded = await db.pool.query('SELECT message_id FROM mailer_sent ORDER BY message_id');
    expect(recorded.rows.map((row: { message_id: string }) => row.message_id)).toEqual([`${run}.a`]);

    child = startMailer();
    await publish(notification('c', 'cy@example.com'));
    await until('mail c after the restart', () => copies('c').length === 1, 90_000);
    // b went out again, once, as the same mail; a (committed) did not.
    expect(copies('b').map((mail) => mail.messageId)).toEqual([
      messageIdHeader(`${run}.b`, DOMAIN),
      messageIdHeader(`${run}.b`, DOMAIN),
    ]);
    expect(copies('a')).toHaveLength(1);
    const all = await db.pool.query('SELECT message_id, header_id FROM mailer_sent ORDER BY message_id');
    expect(all.rows).toEqual(
      ['a', 'b', 'c'].map((id) => ({ message_id: `${run}.${id}`, header_id: messageIdHeader(`${run}.${id}`, DOMAIN) })),
    );
  });

  it('retries a 4xx, dead-letters a 5xx and an unknown template with the reason, and skips a notification already sent', async () => {
    child ??= startMailer();
    await publish(
      notification('busy', 'busy@example.com'),
      notification('nobody', 'nobody@example.com'),
      notification('bad-template', 'ada@example.com', 'no-such-template'),
      notification('a', 'ada@example.com'), // the outbox sent a again (a crash before its delete): not mailed twice
      notification('d', 'dee@example.com'),
    );
    await until('mail d', () => copies('d').length === 1, 90_000);
    expect(copies('busy')).toHaveLength(1);
    expect(attempts.get('busy@example.com')).toBeGreaterThanOrEqual(3);
    expect(copies('nobody')).toHaveLength(0);
    expect(copies('bad-template')).toHaveLength(0);
    expect(copies('a')).toHaveLength(1);

    const letters = await readToEnd(kafka, deadLetterTopicOf(topic.spec.name));
    const reasons = new Map(
      letters.map(({ message }) => [
        message.key?.toString(),
        {
          errorClass: message.headers?.[deadLetterHeaders.errorClass]?.toString(),
          reason: message.headers?.[deadLetterHeaders.errorMessage]?.toString(),
        },
      ]),
    );
    expect(reasons.get(`${run}.nobody`)).toEqual({
      errorClass: 'SmtpDeliveryError',
      reason: expect.stringContaining('550 5.1.1 no such mailbox') as string,
    });
    expect(reasons.get(`${run}.bad-template`)?.errorClass).toBe('UnknownTemplate');
    expect(letters).toHaveLength(2);
    const sent = await db.pool.query('SELECT count(*)::int AS n FROM mailer_sent');
    expect(sent.rows[0]).toEqual({ n: 5 });
  });
});
