import { classifyError } from '@tally/kafka';
import { describe, expect, it } from 'vitest';
import { smtpFailure } from './smtp-failure.ts';

const kind = (error: unknown) => classifyError(smtpFailure(error)).kind;

describe('smtpFailure', () => {
  it('dead-letters 5xx replies and envelopes refused before talking', () => {
    expect(kind({ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 no such user', command: 'RCPT TO' })).toBe(
      'deterministic',
    );
    expect(kind({ code: 'EMESSAGE', responseCode: 554, response: '554 rejected' })).toBe('deterministic');
    expect(kind({ code: 'EENVELOPE', message: 'No recipients defined' })).toBe('deterministic');
  });

  it('retries 4xx replies, lost connections and authentication failures', () => {
    expect(kind({ code: 'EENVELOPE', responseCode: 451, response: '451 4.7.1 greylisted' })).toBe('transient');
    expect(kind({ code: 'ECONNECTION', message: 'connect ECONNREFUSED 127.0.0.1:25' })).toBe('transient');
    expect(kind({ code: 'ETIMEDOUT', message: 'Greeting never received' })).toBe('transient');
    expect(kind({ code: 'EAUTH', responseCode: 535, response: '535 bad credentials' })).toBe('transient');
    expect(kind(new Error('something else'))).toBe('transient');
  });

  it('keeps the server reply as the reason', () => {
    const error = smtpFailure({ responseCode: 550, response: '550 5.1.1 no such user', command: 'RCPT TO' });
    expect(error.message).toBe('SMTP rejected permanently (RCPT TO): 550 5.1.1 no such user');
  });
});
