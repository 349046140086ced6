import { advanceTo } from '@tally/fsm';
import { describe, expect, it } from 'vitest';
import { explainText } from './explain.ts';
import { abuseMachine } from './machine.ts';
import { decisionOf } from './outputs.ts';
import { defaultPolicy } from './policy.ts';
import { initialState } from './state.ts';
import { abuseTimeline } from './timeline.ts';

describe('explainText', () => {
  it('prints each transition with its evidence, oldest first', () => {
    const hour = 495_000;
    const invoice = {
      kind: 'invoice' as const,
      hour,
      number: 'INV-1',
      month: '2026-05',
      total: '42.00',
      dueHour: hour,
    };
    const result = advanceTo(
      abuseMachine(defaultPolicy),
      abuseTimeline(defaultPolicy),
      { state: initialState('a-1'), openHour: undefined },
      [invoice],
      hour + 24 + 72 + 1,
    );
    const text = explainText(decisionOf(result.clocked.state));
    expect(text.split('\n')).toEqual([
      'account a-1: warned since 2026-06-25T00:00:00.000Z (version 2)',
      'reason: invoice INV-1 still unpaid after a reminder',
      '2026-06-22T00:00:00.000Z  good -> watch  invoice INV-1 unpaid past its due date',
      '    invoice = INV-1',
      '    total = 42.00',
      '    dueAt = 2026-06-21T00:00:00.000Z',
      '2026-06-25T00:00:00.000Z  watch -> warned  invoice INV-1 still unpaid after a reminder',
      '    invoice = INV-1',
      '    total = 42.00',
      '    dueAt = 2026-06-21T00:00:00.000Z',
      '',
    ]);
  });
});
