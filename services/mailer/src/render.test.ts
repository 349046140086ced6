import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHtml, oneLine, render } from './render.ts';

describe('render', () => {
  it('fills placeholders, tolerating spaces inside the braces', () => {
    expect(render('Hi {{name}}, {{ percent }} %', { name: 'Ada', percent: '80' })).toBe('Hi Ada, 80 %');
  });

  it('escapes values for HTML, never the template', () => {
    expect(render('<p>{{name}}</p>', { name: `<script>"x"&'y'</script>` }, escapeHtml)).toBe(
      '<p>&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/script&gt;</p>',
    );
  });

  it('refuses a missing variable, naming every missing one, as a poison record', () => {
    expect(() => render('{{a}} {{b}} {{c}}', { b: '1' })).toThrow(/no value for a, c/);
    try {
      render('{{toString}}', {});
      expect.unreachable();
    } catch (error) {
      expect((error as { errorClass?: string }).errorClass).toBe('TemplateVariableMissing');
    }
  });

  it('does not expand placeholders that a value brings in', () => {
    expect(render('{{a}}', { a: '{{b}}', b: 'no' })).toBe('{{b}}');
  });

  it('escaped HTML of any value holds no markup characters', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        expect(escapeHtml(value)).not.toMatch(/[<>"']/);
      }),
    );
  });

  it('makes a subject one line, so a value cannot add headers', () => {
    expect(oneLine('Hi\r\nBcc: someone@example.com')).toBe('Hi Bcc: someone@example.com');
  });
});
