import { describe, expect, it } from 'vitest';
import { reconcile } from './offset-reconcile.ts';

describe('reconcile', () => {
  it('seeks back when Kafka delivers past what the database stored', () => {
    expect(reconcile('10', '12')).toEqual({ action: 'seek', toOffset: '10' });
  });
  it('skips records the database already applied', () => {
    expect(reconcile('10', '7')).toEqual({ action: 'process', fromOffset: '10' });
  });
  it('processes from the batch start when they agree or nothing is stored', () => {
    expect(reconcile('10', '10')).toEqual({ action: 'process', fromOffset: '10' });
    expect(reconcile(undefined, '3')).toEqual({ action: 'process', fromOffset: '3' });
  });
  it('compares 64-bit offsets exactly', () => {
    expect(reconcile('9007199254740993', '9007199254740992')).toEqual({
      action: 'process',
      fromOffset: '9007199254740993',
    });
  });
});
