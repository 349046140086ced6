import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { keepAlive } from './keep-alive.ts';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('keepAlive', () => {
  it('heartbeats every interval until stopped', async () => {
    const heartbeat = vi.fn(() => Promise.resolve());
    const alive = keepAlive(heartbeat, 1_000);
    await vi.advanceTimersByTimeAsync(3_500);
    expect(heartbeat).toHaveBeenCalledTimes(3);
    alive.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(heartbeat).toHaveBeenCalledTimes(3);
  });

  it('says the batch is lost when the group wants this member to rejoin, not when the broker is away', async () => {
    const away = keepAlive(
      () => Promise.reject(Object.assign(new Error('ECONNREFUSED'), { code: 'ECONNREFUSED' })),
      100,
    );
    const rebalancing = keepAlive(
      () => Promise.reject(Object.assign(new Error('rebalance'), { type: 'REBALANCE_IN_PROGRESS' })),
      100,
    );
    await vi.advanceTimersByTimeAsync(250);
    expect(away.lost.aborted).toBe(false);
    expect(rebalancing.lost.aborted).toBe(true);
    away.stop();
    rebalancing.stop();
  });
});
