import type { Queryable } from '@tally/db';
import type { UsageHourly } from '@tally/records';
import { describe, expect, it } from 'vitest';
import { forEachUsageOfAccount } from './usage-table.ts';
import { at, usage } from './test-fixtures.ts';

const HOUR = 3_600_000;

/** billing_usage in memory, answering the range query forEachUsageOfAccount sends; records each answer's size. */
function table(rows: UsageHourly[]) {
  const answers: number[] = [];
  const byHour = new Map<number, UsageHourly[]>();
  for (const r of rows) byHour.set(r.hourStart, [...(byHour.get(r.hourStart) ?? []), r]);
  const db = {
    query: (sql: string, params: unknown[]) => {
      expect(sql).toMatch(/record - 'counted'/);
      const [accountId, from, to] = params as [string, number, number];
      const hit: UsageHourly[] = [];
      for (let t = from; t < to; t += HOUR) hit.push(...(byHour.get(t) ?? []).filter((r) => r.accountId === accountId));
      answers.push(hit.length);
      return Promise.resolve({ rows: hit.map((record) => ({ record })) });
    },
  } as unknown as Queryable;
  return { db, answers };
}

/** `instances` instances running every hour of [from, to). */
function fleet(instances: number, from: string, to: string): UsageHourly[] {
  const rows: UsageHourly[] = [];
  for (let t = at(from); t < at(to); t += HOUR) {
    for (let i = 0; i < instances; i += 1) rows.push(usage({ instanceId: `i-${i}`, hourStart: t }));
  }
  return rows;
}

describe('forEachUsageOfAccount', { timeout: 30_000 }, () => {
  const march = { start: at('2025-03-01T00:00:00Z'), end: at('2025-04-01T00:00:00Z') };

  it('delivers every record of the period once, in chunks of about chunkRows for a large account', async () => {
    const rows = fleet(200, '2025-02-27T00:00:00Z', '2025-04-02T00:00:00Z');
    const { db, answers } = table(rows);
    const seen: string[] = [];
    await forEachUsageOfAccount(db, 'acct-1', march, (r) => seen.push(`${r.instanceId}|${r.hourStart}`), 24, 2_000);
    expect(seen.length).toBe(200 * 744);
    expect(new Set(seen).size).toBe(seen.length);
    // The first chunk is a day (4 800 rows); after it, chunks hold at most chunkRows.
    expect(answers[0]).toBe(4_800);
    expect(Math.max(...answers.slice(1))).toBeLessThanOrEqual(2_000);
  });

  it('takes a few queries for a small account, and never a huge chunk when instances appear late', async () => {
    const small = table(fleet(1, '2025-03-01T00:00:00Z', '2025-04-01T00:00:00Z'));
    await forEachUsageOfAccount(small.db, 'acct-1', march, () => undefined);
    expect(small.answers.length).toBeLessThanOrEqual(8);

    // Nothing for three weeks, then 500 instances: the chunk grew to a week at most.
    const late = table(fleet(500, '2025-03-22T00:00:00Z', '2025-04-01T00:00:00Z'));
    let delivered = 0;
    await forEachUsageOfAccount(late.db, 'acct-1', march, () => (delivered += 1));
    expect(delivered).toBe(500 * 240);
    expect(Math.max(...late.answers)).toBeLessThanOrEqual(500 * 24 * 7);
  });
});
