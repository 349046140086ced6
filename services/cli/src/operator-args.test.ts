import { describe, expect, it } from 'vitest';
import { billingVerify } from './billing-verify.ts';
import type { Command, CommandIo } from './command.ts';
import { dispatch } from './dispatch.ts';
import { dlqShow } from './dlq-show.ts';
import { status } from './status.ts';
import { topicsApply, topicsVerify } from './topics-check.ts';

function io(): CommandIo & { text: () => string } {
  let text = '';
  return { out: (t) => (text += t), err: (t) => (text += t), env: {}, text: () => text };
}

async function run(command: Command, argv: string[]): Promise<{ code: number; text: string }> {
  const out = io();
  const code = await dispatch([command], [...command.path, ...argv], out);
  return { code, text: out.text() };
}

// Bad arguments are refused with usage (exit 2) before anything connects to the broker or the database.
describe('operator command arguments', () => {
  it('billing verify needs a YYYY-MM period', async () => {
    const missing = await run(billingVerify, []);
    expect(missing.code).toBe(2);
    expect(missing.text).toMatch(/--period is required/);
    expect((await run(billingVerify, ['--period', '2025-13'])).text).toMatch(/period: expected YYYY-MM/);
  });

  it('dlq show needs a topic, a partition and an offset', async () => {
    const bad = await run(dlqShow, ['traffic.samples.v1', '0']);
    expect(bad.code).toBe(2);
    expect(bad.text).toMatch(/expected <source-topic> <partition> <offset>/);
    expect((await run(dlqShow, ['traffic.samples.v1', 'x', '1'])).code).toBe(2);
    expect((await run(dlqShow, ['traffic.samples.v1', '0', '-1'])).code).toBe(2);
  });

  it('status and topics take no positional arguments', async () => {
    expect((await run(status, ['now'])).code).toBe(2);
    expect((await run(status, ['--stall-after', '0'])).code).toBe(2);
    expect((await run(topicsVerify, ['extra'])).code).toBe(2);
    expect((await run(topicsApply, ['--json'])).code).toBe(2);
  });
});
