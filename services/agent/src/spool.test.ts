import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrafficSample } from '@tally/records';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool, SpoolFullError } from './spool.ts';

const T = Date.UTC(2025, 0, 1);

function sample(n: number): TrafficSample {
  return {
    hypervisorId: 'hv-1',
    instanceId: `i-${n}`,
    interfaceId: 'eth0',
    windowStart: T + n * 30_000,
    rxBytes: n,
    txBytes: 2 * n,
    rxPackets: 1,
    txPackets: 1,
    cpuSeconds: '0.5',
  };
}

const range = (from: number, to: number): TrafficSample[] =>
  Array.from({ length: to - from }, (_, i) => sample(from + i));

const limits = { maxBytes: 1 << 20, maxRecords: 1_000 };
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tally-spool-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function dataFiles(): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.startsWith('spool-')).sort();
}

describe('Spool', () => {
  it('drains in order: peek the oldest, acknowledge after send', async () => {
    const spool = await Spool.open(dir, limits);
    await spool.append(range(0, 3));
    await spool.append(range(3, 5));
    expect(await spool.peek(2)).toEqual(range(0, 2));
    expect(await spool.peek(2)).toEqual(range(0, 2)); // not removed until acknowledged
    await spool.ack(2);
    expect(await spool.peek(10)).toEqual(range(2, 5));
    expect(spool.stats()).toMatchObject({ records: 3, appended: 5, acknowledged: 2, rejected: 0 });
    await expect(spool.ack(4)).rejects.toThrow(RangeError);
    await spool.close();
  });

  it('resumes after a restart where the last acknowledgement left it', async () => {
    const first = await Spool.open(dir, limits);
    await first.append(range(0, 10));
    await first.ack(4);
    await first.close(); // or a crash: every resolved append/ack is already on disk
    const second = await Spool.open(dir, limits);
    expect(second.size).toBe(6);
    expect(await second.peek(100)).toEqual(range(4, 10));
    await second.append([sample(10)]);
    await second.ack(7);
    expect(second.size).toBe(0);
    await second.close();
    const third = await Spool.open(dir, limits);
    expect(third.size).toBe(0);
    await third.close();
  });

  it('drops a torn last line at open, counts it, and keeps the rest', async () => {
    const spool = await Spool.open(dir, limits);
    await spool.append(range(0, 3));
    await spool.close();
    const [file] = await dataFiles();
    // A crash in the middle of an append that therefore never resolved.
    await appendFile(join(dir, file!), '{"hypervisorId":"hv-1","instan');
    const reopened = await Spool.open(dir, limits);
    expect(reopened.stats()).toMatchObject({ records: 3, tornBytesDropped: 30 });
    await reopened.append([sample(3)]);
    expect(await reopened.peek(10)).toEqual(range(0, 4));
    await reopened.close();
    const again = await Spool.open(dir, limits);
    expect(await again.peek(10)).toEqual(range(0, 4));
    expect(again.stats().tornBytesDropped).toBe(0);
    await again.close();
  });

  it('quarantines a complete line that does not decode instead of deleting it', async () => {
    const spool = await Spool.open(dir, limits);
    await spool.append([sample(0)]);
    await spool.close();
    const [file] = await dataFiles();
    await appendFile(join(dir, file!), '{"not":"a sample"}\n');
    const reopened = await Spool.open(dir, limits);
    await reopened.append([sample(1)]);
    expect(await reopened.peek(10)).toEqual([sample(0), sample(1)]);
    expect(reopened.stats().quarantined).toBe(1);
    expect(await readFile(join(dir, 'quarantine.jsonl'), 'utf8')).toBe('{"not":"a sample"}\n');
    await reopened.close();
  });

  it('refuses a whole batch when full, visibly, and accepts again after draining', async () => {
    const spool = await Spool.open(dir, { maxBytes: 1 << 20, maxRecords: 5 });
    await spool.append(range(0, 4));
    await expect(spool.append(range(4, 6))).rejects.toThrow(SpoolFullError);
    expect(spool.stats()).toMatchObject({ records: 4, rejected: 2 });
    await spool.ack(2);
    await spool.append(range(4, 6));
    expect(await spool.peek(10)).toEqual(range(2, 6));
    await spool.close();

    const bytes = await Spool.open(join(dir, 'b'), { maxBytes: 300, maxRecords: 1_000 });
    await bytes.append(range(0, 1));
    await expect(bytes.append(range(1, 3))).rejects.toThrow(/spool full/);
    await bytes.close();
  });

  it('compacts into a new generation and removes the old file', async () => {
    const spool = await Spool.open(dir, { ...limits, compactAfterBytes: 500 });
    await spool.append(range(0, 20));
    const before = await dataFiles();
    await spool.ack(1); // below the threshold: only the offset moves
    expect(await dataFiles()).toEqual(before);
    await spool.ack(5);
    const after = await dataFiles();
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
    expect(await spool.peek(100)).toEqual(range(6, 20));
    await spool.close();
    const reopened = await Spool.open(dir, limits);
    expect(await reopened.peek(100)).toEqual(range(6, 20));
    await reopened.close();
  });

  it('ignores the file of a compaction interrupted before it switched generations', async () => {
    const spool = await Spool.open(dir, limits);
    await spool.append(range(0, 3));
    await spool.close();
    await writeFile(join(dir, 'spool-1.jsonl'), 'half-written compaction');
    const reopened = await Spool.open(dir, limits);
    expect(await reopened.peek(10)).toEqual(range(0, 3));
    expect(await dataFiles()).toEqual(['spool-0.jsonl']);
    await reopened.close();
  });
});
