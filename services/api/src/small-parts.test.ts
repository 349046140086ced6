import { describe, expect, it } from 'vitest';
import { bearerOf } from './auth.ts';
import { interfaceWindows } from './instance-windows.ts';
import { problem } from './problem.ts';
import { decodeCursor, encodeCursor } from './usage-cursor.ts';
import { skuItem, skuRows, trimDecimal, usageSql } from './usage-query.ts';

describe('usage cursor', () => {
  it('round-trips and refuses what it did not make', () => {
    const cursor = { period: '2026-11-01T00:00:00.000Z', group: 'i-"1",2' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    for (const bad of ['', 'x', Buffer.from('[1,2]').toString('base64url'), Buffer.from('{}').toString('base64url')])
      expect(decodeCursor(bad)).toBeUndefined();
  });
});

describe('usage query', () => {
  it('passes values as parameters, never in the SQL text', () => {
    const sql = usageSql(
      {
        scope: 'account',
        id: "acct'; DROP TABLE x; --",
        from: new Date(0),
        to: new Date(1),
        bucket: 'day',
        groupBy: 'instance',
        timeZone: 'Europe/Zurich',
        limit: 10,
        after: { period: '2026-11-01T00:00:00.000Z', group: "g'" },
      },
      'tally',
    );
    expect(sql.text).not.toContain('DROP');
    expect(sql.text).not.toContain('Zurich');
    expect(sql.values).toContain("acct'; DROP TABLE x; --");
    expect(sql.values.at(-1)).toBe(12); // the totals row and one more than the page, to know whether another follows
  });

  it('shows SKU quantities exactly', () => {
    const period = new Date('2026-11-01T00:00:00Z');
    expect(skuItem({ period, grp: 'compute.s1', unit: 'hour', base_units: '5400' }).quantity).toBe('1.5');
    expect(skuItem({ period, grp: 'compute.s1', unit: 'hour', base_units: '30' }).quantity).toBe(
      '0.008333333333333333333333333333333333333333',
    );
    expect(skuItem({ period, grp: 'egress.gb', unit: 'gb', base_units: '1234567890123' }).quantity).toBe(
      '1234.567890123',
    );
  });

  it('turns type groups into the SKUs billing prices, summed per period, zeros left out', () => {
    const period = new Date('2026-11-01T00:00:00Z');
    const row = (grp: string, running: string, tx: string, rx: string) => ({
      period,
      grp,
      is_total: false,
      instance_hours: 1,
      running_seconds: running,
      rx_bytes: rx,
      tx_bytes: tx,
      rx_packets: '0',
      tx_packets: '0',
      cpu_seconds: '0',
    });
    expect(skuRows([row('s1', '3600', '5', '0'), row('m1', '30', '7', '0')]).map((r) => [r.grp, r.base_units])).toEqual(
      [
        ['compute.m1', '30'],
        ['compute.s1', '3600'],
        ['egress.gb', '12'],
      ],
    );
  });

  it('trims numeric scale, not value', () => {
    expect(['3.500', '2.000', '10', '0.0', '100'].map(trimDecimal)).toEqual(['3.5', '2', '10', '0', '100']);
  });
});

describe('instance windows', () => {
  it('lists all 120 windows per interface with whether each was counted', () => {
    const [eth0, eth1] = interfaceWindows(Date.parse('2026-11-01T10:00:00Z'), [
      { interfaceId: 'eth0', slots: [0, 2, 119] },
      { interfaceId: 'eth1', slots: [] },
    ]);
    expect(eth0!.windows).toHaveLength(120);
    expect(eth0!.countedWindows).toBe(3);
    expect(eth0!.windows[119]).toEqual({ slot: 119, windowStart: '2026-11-01T10:59:30.000Z', counted: true });
    expect(eth0!.windows[1]!.counted).toBe(false);
    expect(eth1!.windows.some((w) => w.counted)).toBe(false);
  });
});

describe('bearer and problems', () => {
  it('reads a bearer token only from a well-formed header', () => {
    expect(bearerOf('Bearer tally_abc')).toBe('tally_abc');
    expect(bearerOf('bearer  tally_abc ')).toBe('tally_abc');
    for (const bad of [undefined, '', 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b'])
      expect(bearerOf(bad)).toBeUndefined();
  });

  it('never puts a server error message in a problem, and titles by status', () => {
    expect(problem(503, '/v1/x', 'see the log')).toEqual({
      type: 'about:blank',
      title: 'Service Unavailable',
      status: 503,
      detail: 'see the log',
      instance: '/v1/x',
    });
    expect(problem(418, '/v1/x').title).toBe('Client Error');
  });
});
