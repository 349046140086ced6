import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One mail template: a subject line, a text body and an HTML body, each with `{{variable}}` placeholders. */
export interface MailTemplate {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** The templates that ship with the mailer (services/mailer/templates). */
export const defaultTemplatesDir = fileURLToPath(new URL('../templates', import.meta.url));

const NAME = /^[a-z0-9][a-z0-9-]{0,99}$/;

/**
 * Parses a text template: its first line is `Subject: …`, then an empty line, then the body.
 *
 * @example
 * parseTextTemplate('Subject: Hi {{name}}\n\nBody\n'); // { subject: 'Hi {{name}}', text: 'Body\n' }
 */
export function parseTextTemplate(source: string): { subject: string; text: string } {
  const match = /^Subject: ([^\r\n]+)\r?\n\r?\n/.exec(source);
  if (!match) throw new Error('a text template starts with "Subject: …" and an empty line');
  return { subject: match[1]!.trim(), text: source.slice(match[0].length) };
}

/**
 * Reads every `<name>.txt` and `<name>.html` pair of `dir` once, at start-up; a template missing either half, or with
 * a bad name, stops the mailer with a message naming the file (a mail without its HTML or text part is a bug to fix
 * before sending anything, not at the first customer who triggers it).
 */
export function loadTemplates(dir: string = defaultTemplatesDir): Map<string, MailTemplate> {
  const files = readdirSync(dir);
  const names = new Set(
    files.filter((file) => /\.(txt|html)$/.test(file)).map((file) => file.replace(/\.[a-z]+$/, '')),
  );
  const templates = new Map<string, MailTemplate>();
  for (const name of [...names].sort()) {
    if (!NAME.test(name)) throw new Error(`mail template ${join(dir, name)}: names are lower-case words joined by -`);
    const textFile = join(dir, `${name}.txt`);
    const htmlFile = join(dir, `${name}.html`);
    if (!files.includes(`${name}.txt`) || !files.includes(`${name}.html`))
      throw new Error(`mail template ${name} needs both ${textFile} and ${htmlFile}`);
    try {
      const { subject, text } = parseTextTemplate(readFileSync(textFile, 'utf8'));
      templates.set(name, { subject, text, html: readFileSync(htmlFile, 'utf8') });
    } catch (error) {
      throw new Error(`mail template ${textFile}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return templates;
}
