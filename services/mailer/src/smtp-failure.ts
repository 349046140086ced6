/**
 * Why a delivery failed, and whether trying again can help. The consumer runtime retries an error marked
 * `retryable: true` with backoff and dead-letters one marked `retryable: false` with its message as the reason.
 */
export class SmtpDeliveryError extends Error {
  override readonly name = 'SmtpDeliveryError';
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean, cause: unknown) {
    super(message, { cause });
    this.retryable = retryable;
  }
}

/** What nodemailer puts on its errors (SMTPConnection): a code, and the server's reply when there was one. */
interface NodemailerFailure {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  command?: unknown;
  message?: unknown;
}

/**
 * Classifies a failed send:
 * - permanent (dead letter): a 5xx reply to the envelope or the data (no such mailbox, rejected content), or an
 *   envelope nodemailer refuses before talking (no valid recipient address);
 * - transient (retry with backoff): a 4xx reply (greylisting, mailbox busy, server short of resources), no connection,
 *   a dropped socket, a timeout, DNS. Authentication failures (EAUTH, even with 535) are transient too: they are our
 *   configuration, the same for every mail, and must stall the partition for an operator rather than dead-letter
 *   every notification.
 *
 * @example
 * smtpFailure({ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 no such user' }).retryable // false
 * smtpFailure({ code: 'EENVELOPE', responseCode: 451, response: '451 4.7.1 try later' }).retryable  // true
 * smtpFailure({ code: 'ECONNECTION', message: 'connect ECONNREFUSED 127.0.0.1:25' }).retryable       // true
 */
export function smtpFailure(error: unknown): SmtpDeliveryError {
  const failure: NodemailerFailure = typeof error === 'object' && error !== null ? error : {};
  const code = typeof failure.code === 'string' ? failure.code : undefined;
  const status = typeof failure.responseCode === 'number' ? failure.responseCode : undefined;
  const reply = typeof failure.response === 'string' ? failure.response : undefined;
  const text = reply ?? (typeof failure.message === 'string' ? failure.message : String(error));
  const command = typeof failure.command === 'string' ? ` (${failure.command})` : '';
  const describe = (kind: string) => `SMTP ${kind}${command}: ${text.slice(0, 500)}`;
  if (code === 'EAUTH') return new SmtpDeliveryError(describe('authentication failed'), true, error);
  if (status !== undefined && status >= 500 && status < 600)
    return new SmtpDeliveryError(describe('rejected permanently'), false, error);
  if (status !== undefined && status >= 400 && status < 500)
    return new SmtpDeliveryError(describe('deferred'), true, error);
  if (code === 'EENVELOPE' || code === 'EMESSAGE')
    return new SmtpDeliveryError(describe('refused the message'), false, error);
  return new SmtpDeliveryError(describe('unavailable'), true, error);
}
