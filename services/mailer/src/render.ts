import { poison } from '@tally/kafka';

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

/**
 * Fills `{{name}}` placeholders with `variables`, each value passed through `escape` (HTML escaping for the HTML part,
 * none for text). A placeholder without a value is a bad notification, not an empty string in a customer's mail:
 * it throws a poison error, so the record is dead-lettered with the names that are missing.
 *
 * @example
 * render('Hello {{name}}', { name: '<Ada>' }, escapeHtml); // 'Hello &lt;Ada&gt;'
 */
export function render(
  template: string,
  variables: Readonly<Record<string, string>>,
  escape: (value: string) => string = (value) => value,
): string {
  const missing = new Set<string>();
  const out = template.replace(PLACEHOLDER, (_, name: string) => {
    const value = Object.hasOwn(variables, name) ? variables[name] : undefined;
    if (value === undefined) {
      missing.add(name);
      return '';
    }
    return escape(value);
  });
  if (missing.size > 0) throw poison('TemplateVariableMissing', `no value for ${[...missing].sort().join(', ')}`);
  return out;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/** A subject is one header line: a value with line breaks would start new headers (header injection). */
export function oneLine(value: string): string {
  return value.replace(/[\r\n\t]+/g, ' ');
}
