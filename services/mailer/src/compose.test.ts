import { describe, expect, it } from 'vitest';
import { composeMail } from './compose.ts';
import { messageIdHeader } from './message-id.ts';
import { loadTemplates, parseTextTemplate } from './templates.ts';

const templates = loadTemplates();
const options = { from: 'Tally <hello@tally.example>', domain: 'tally.example' };
const variables = { name: 'Ada <Lovelace>', accountId: 'a-1' };

describe('templates', () => {
  it('ships every drip template with text and HTML parts', () => {
    expect([...templates.keys()]).toEqual(
      expect.arrayContaining(['add-payment-method', 'credit-used', 'getting-started', 'miss-you', 'thanks', 'welcome']),
    );
    for (const template of templates.values()) {
      expect(template.subject).not.toBe('');
      expect(template.html).toContain('<html>');
    }
  });

  it('renders the abuse notices with the variables abuse sends', () => {
    const invoice = { accountId: 'a-1', invoiceNumber: 'INV-2026-000001', total: '12.34', month: '2026-10' };
    const cases: [string, Record<string, string>][] = [
      ['abuse-payment-reminder', invoice],
      ['abuse-payment-warning', invoice],
      ['abuse-suspended', { accountId: 'a-1', reason: 'mining on free credit' }],
      ['abuse-resumed', { accountId: 'a-1', invoiceNumber: 'INV-2026-000001' }],
      ['abuse-terminated', { accountId: 'a-1', reason: 'suspended for 30 days' }],
    ];
    for (const [template, vars] of cases) {
      const mail = composeMail(
        { messageId: `m-${template}`, template, recipient: 'a@example.com', variables: vars },
        templates,
        options,
      );
      expect(mail.text).not.toContain('{{');
    }
  });

  it('reads the subject from the first line', () => {
    expect(parseTextTemplate('Subject: Hi {{name}}\n\nBody\n')).toEqual({ subject: 'Hi {{name}}', text: 'Body\n' });
    expect(() => parseTextTemplate('Body only')).toThrow(/Subject/);
  });
});

describe('composeMail', () => {
  it('renders text as is and HTML escaped, with a Message-ID derived from the notification id', () => {
    const mail = composeMail(
      { messageId: 'drip.a-1.welcome.0', template: 'welcome', recipient: 'ada@example.com', variables },
      templates,
      options,
    );
    expect(mail.subject).toBe('Welcome to Tally, Ada <Lovelace>');
    expect(mail.text).toContain('Hi Ada <Lovelace>,');
    expect(mail.html).toContain('Hi Ada &lt;Lovelace&gt;,');
    expect(mail.messageId).toBe(messageIdHeader('drip.a-1.welcome.0', 'tally.example'));
    expect(mail.headers['X-Tally-Notification']).toBe('drip.a-1.welcome.0');
  });

  it('is deterministic: the same notification gives the same mail', () => {
    const notification = { messageId: 'm-7', template: 'thanks', recipient: 'ada@example.com', variables };
    expect(composeMail(notification, templates, options)).toEqual(composeMail(notification, templates, options));
  });

  it('gives different notifications different Message-IDs', () => {
    expect(messageIdHeader('drip.a-1.welcome.0', 'x.example')).not.toBe(
      messageIdHeader('drip.a-2.welcome.0', 'x.example'),
    );
    expect(messageIdHeader('m', 'x.example')).toMatch(/^<[0-9a-f]{40}@x\.example>$/);
  });

  it('refuses an unknown template as a poison record', () => {
    const compose = () =>
      composeMail({ messageId: 'm', template: 'nope', recipient: 'a@example.com', variables }, templates, options);
    expect(compose).toThrow(/no mail template named "nope"/);
    expect(() => compose()).toThrowError(expect.objectContaining({ errorClass: 'UnknownTemplate' }) as Error);
  });
});
