import { describe, expect, it } from 'vitest';
import type { CommandIo } from './command.ts';
import { dispatch } from './dispatch.ts';
import { replay } from './replay.ts';
import { replayTargets } from './replay-targets.ts';

async function run(...argv: string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const io: CommandIo = { out: (t) => (text += t), err: (t) => (text += t), env: {} };
  return { code: await dispatch([replay], ['replay', ...argv], io), text };
}

describe('replay arguments (checked before anything is contacted)', () => {
  it('needs a service or one --group, not both, and a --from', async () => {
    expect((await run('--from', 'earliest')).text).toMatch(
      /name a service \(metering, billing, abuse, drip, mailer\) or one --group/,
    );
    expect((await run('billing', '--group', 'billing', '--from', 'earliest')).text).toMatch(/not both/);
    expect((await run('invoices', '--from', 'earliest')).text).toMatch(/expected one of metering, billing, abuse/);
    const missing = await run('billing');
    expect(missing.code).toBe(2);
    expect(missing.text).toMatch(/--from must be earliest or an ISO date-time/);
  });

  it('takes times with an offset only, and --to after --from', async () => {
    expect((await run('billing', '--from', '2026-11-30 10:00')).code).toBe(2);
    expect((await run('billing', '--from', '2026-11-30T10:00:00+01:00', '--to', '2026-11-30T09:00:00Z')).text).toMatch(
      /--to must be after --from/,
    );
  });
});

describe('replayTargets', () => {
  it("names the services' groups from their variables", () => {
    const targets = replayTargets({ BILLING_GROUP: 'b2', METERING_SAMPLES_TOPIC: 'samples.test' });
    expect(targets.map((t) => `${t.service} ${t.group} ${t.topic} ${t.state}`)).toEqual([
      'metering metering samples.test offsets-only',
      'metering metering-inventory inventory.instances.v1 offsets-only',
      'billing b2 usage.hourly.v1 billing-usage',
      'billing b2-prices prices.v1 offsets-only',
      'billing b2-accounts accounts.v1 offsets-only',
      'billing b2-payments payments.v1 offsets-only',
      'abuse abuse-accounts accounts.v1 offsets-only',
      'abuse abuse-usage usage.hourly.v1 offsets-only',
      'abuse abuse-billing-hourly billing.hourly.v1 offsets-only',
      'abuse abuse-payments payments.v1 offsets-only',
      'abuse abuse-invoices invoices.v1 offsets-only',
      'drip drip-accounts accounts.v1 offsets-only',
      'drip drip-instances inventory.instances.v1 offsets-only',
      'drip drip-payments payments.v1 offsets-only',
      'drip drip-billing billing.hourly.v1 offsets-only',
      'mailer mailer notifications.email.v1 offsets-only',
    ]);
  });

  it("names the state machines' groups from their prefixes", () => {
    const targets = replayTargets({ ABUSE_GROUP: 'a2', DRIP_GROUP_PREFIX: 'd2', MAILER_GROUP: 'm2' });
    expect(targets.filter((t) => t.service === 'abuse').map((t) => t.group)).toEqual([
      'a2-accounts',
      'a2-usage',
      'a2-billing-hourly',
      'a2-payments',
      'a2-invoices',
    ]);
    expect(targets.filter((t) => t.service === 'drip').map((t) => t.group)).toEqual([
      'd2-accounts',
      'd2-instances',
      'd2-payments',
      'd2-billing',
    ]);
    expect(targets.filter((t) => t.service === 'mailer').map((t) => t.group)).toEqual(['m2']);
  });
});
