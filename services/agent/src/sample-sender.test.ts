import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@tally/log';
import type { TrafficSample } from '@tally/records';
import { afterEach, describe, expect, it } from 'vitest';
import { InjectedOutage } from './injected-outage.ts';
import { SampleSender } from './sample-sender.ts';
import { Spool } from './spool.ts';

const log = createLogger('sample-sender-test', 'silent');
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function sample(i: number): TrafficSample {
  return {
    hypervisorId: 'hv-000',
    instanceId: `i-${i % 3}`,
    interfaceId: 'eth0',
    windowStart: Date.UTC(2026, 0, 1) + i * 30_000,
    rxBytes: i,
    txBytes: 0,
    rxPackets: 0,
    txPackets: 0,
    cpuSeconds: '0',
  };
}

async function setup(retryMs = 0) {
  const dir = await mkdtemp(join(tmpdir(), 'sender-'));
  dirs.push(dir);
  const spool = await Spool.open(dir, { maxBytes: 1 << 20, maxRecords: 1000 });
  const delivered: TrafficSample[] = [];
  const outage = new InjectedOutage(2, 5);
  const sender = new SampleSender({
    send: outage.wrap((samples) => {
      delivered.push(...samples);
      return Promise.resolve();
    }),
    spool,
    log,
    retryMs,
    drainBatch: 3,
  });
  return { spool, delivered, outage, sender };
}

describe('SampleSender', () => {
  it('spools what cannot be sent and delivers everything in order once the broker is back', async () => {
    const { spool, delivered, outage, sender } = await setup();
    const all = Array.from({ length: 40 }, (_, i) => sample(i));
    for (let start = 0; start < all.length; start += 4) {
      outage.nextBatch();
      await sender.submit(all.slice(start, start + 4));
    }
    expect(await sender.flush(1_000)).toBe(true);
    expect(delivered).toEqual(all);
    expect(spool.size).toBe(0);
    expect(sender.stats.failures).toBeGreaterThan(0);
  });

  it('keeps samples in the spool across a restart when the outage outlasts the process', async () => {
    const { spool, delivered, outage, sender } = await setup(60_000);
    outage.nextBatch();
    outage.nextBatch();
    outage.nextBatch();
    await sender.submit([sample(1), sample(2)]);
    await sender.submit([sample(3)]);
    expect(delivered).toEqual([]);
    expect(spool.size).toBe(3);
    outage.end();
    expect(await sender.drain()).toBe(true);
    expect(delivered).toEqual([sample(1), sample(2), sample(3)]);
  });
});
