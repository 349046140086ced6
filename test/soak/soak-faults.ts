/**
 * Carries out one fault of the schedule against the running soak. Faults run one after another (the schedule keeps
 * them apart), so each can assume the others are over: the broker is up when a poison record is sent, billing runs
 * when it is SIGKILLed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { PrivateBroker } from '@tally/infra';
import type { TcpProxy } from '@tally/testing';
import type { Supervised } from '../src/index.ts';
import type { Fault } from './fault-schedule.ts';
import type { GlitchTarget, Poisoner } from './poison.ts';

export interface FaultTargets {
  broker: PrivateBroker;
  proxy: TcpProxy;
  metering: Supervised;
  billing: Supervised;
  poisoner: Poisoner;
  /** SIGKILLs the running agent wave (its loop starts it again); false when no wave is running. */
  killAgent(): Promise<boolean>;
  /** A real instance of a wave sent so far, chosen by `nth`. */
  glitchTarget(nth: number): GlitchTarget;
  /** Stops billing, rewinds it with `tally replay billing --from earliest --yes`, starts it again. */
  replayBilling(): Promise<boolean>;
  /** Set while the broker is away (for the progress line). */
  brokerDown: boolean;
}

/** What happened: `applied` false when the fault had nothing to act on (no agent running) or failed. */
export interface FaultOutcome {
  readonly applied: boolean;
  readonly note?: string;
}

export async function applyFault(fault: Fault, nth: number, t: FaultTargets): Promise<FaultOutcome> {
  switch (fault.kind) {
    case 'kill-metering':
      await t.metering.kill();
      return { applied: true };
    case 'kill-billing':
      await t.billing.kill();
      return { applied: true };
    case 'kill-agent':
      return (await t.killAgent()) ? { applied: true } : { applied: false, note: 'no agent running' };
    case 'broker-down':
      t.brokerDown = true;
      try {
        await t.broker.restart(fault.durationMs);
      } finally {
        t.brokerDown = false;
      }
      return { applied: true };
    case 'db-refuse':
      await t.proxy.refuse();
      await sleep(fault.durationMs);
      await t.proxy.restore();
      return { applied: true };
    case 'db-drop':
      // Every open connection cut at once; new ones are accepted again right away.
      await t.proxy.refuse();
      await t.proxy.restore();
      return { applied: true };
    case 'poison-garbage':
      await t.poisoner.garbage(fault.count, nth);
      return { applied: true };
    case 'poison-invalid':
      await t.poisoner.invalid(fault.count, nth, t.glitchTarget(nth));
      return { applied: true };
    case 'glitching-agent':
      await t.poisoner.glitch(fault.count, nth, t.glitchTarget(nth));
      return { applied: true };
    case 'replay-billing':
      return (await t.replayBilling()) ? { applied: true } : { applied: false, note: 'replay refused or failed' };
  }
}
