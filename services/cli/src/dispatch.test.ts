import { describe, expect, it } from 'vitest';
import { UsageError, type Command, type CommandIo } from './command.ts';
import { dispatch } from './dispatch.ts';
import { invoicesExport } from './invoices-export.ts';
import { pricesPublish } from './prices-publish.ts';

function io(): CommandIo & { text: () => string } {
  let text = '';
  return { out: (t) => (text += t), err: (t) => (text += t), env: {}, text: () => text };
}

const echo: Command = {
  path: ['echo', 'twice'],
  usage: 'tally echo twice <word>',
  summary: 'test command',
  run: (args, out) => {
    if (args.length !== 1) throw new UsageError('expected one word');
    out.out(`${args[0]} ${args[0]}\n`);
    return Promise.resolve(0);
  },
};

describe('dispatch', () => {
  it('runs the command its words select', async () => {
    const out = io();
    expect(await dispatch([echo], ['echo', 'twice', 'hi'], out)).toBe(0);
    expect(out.text()).toBe('hi hi\n');
  });

  it('prints usage for an unknown command or bad arguments (exit 2)', async () => {
    const unknown = io();
    expect(await dispatch([echo], ['nope'], unknown)).toBe(2);
    expect(unknown.text()).toMatch(/unknown command: nope[\s\S]*tally echo twice <word>/);
    const bad = io();
    expect(await dispatch([echo], ['echo', 'twice'], bad)).toBe(2);
    expect(bad.text()).toBe('expected one word\nusage: tally echo twice <word>\n');
  });

  it('validates invoices export arguments before touching the database', async () => {
    const out = io();
    expect(await dispatch([invoicesExport], ['invoices', 'export', '--period', '2025-3', '--format', 'xml'], out)).toBe(
      2,
    );
    expect(out.text()).toMatch(/period: expected YYYY-MM/);
    expect(out.text()).toMatch(/--format must be json or csv/);
  });

  it('refuses a bad price book file with every problem and publishes nothing', async () => {
    const out = io();
    expect(await dispatch([pricesPublish], ['prices', 'publish', 'book.txt'], out)).toBe(2);
    expect(out.text()).toMatch(/expected a \.yaml, \.yml or \.json price book file/);
  });
});
