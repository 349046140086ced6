// For operators: consumer lag and stalled partitions, outboxes, and dead letters (counts, then the latest of a topic).
import { get } from '../api.js';
import { h, table } from '../dom.js';

export async function opsPage({ query }) {
  const status = await get('/v1/ops/status');
  const lagOf = (g) => g.partitions.reduce((sum, p) => sum + BigInt(p.lag), 0n);
  const groups = status.groups.map((g) => [
    g.service,
    g.group,
    g.topic,
    lagOf(g).toString(),
    String(g.partitions.filter((p) => p.stalled).length),
    g.problem ?? '',
  ]);
  const dlqTopic = query.get('dlq');
  const letters = dlqTopic ? await get('/v1/ops/dead-letters', { topic: dlqTopic, limit: 50 }) : undefined;
  const source = (topic) => topic.replace(/\.dlq$/, '');
  return [
    h('h1', {}, 'Pipeline'),
    h(
      'p',
      { class: 'muted' },
      `As of ${status.at}; a partition is stalled after ${status.stallAfterSeconds} s without progress.`,
    ),
    h('h2', {}, 'Consumer lag'),
    table(['Service', 'Group', 'Topic', 'Lag', 'Stalled partitions', 'Problem'], groups, {
      testid: 'lag',
      num: [3, 4],
    }),
    h('h2', {}, 'Outboxes'),
    table(
      ['Service', 'Rows waiting', 'Oldest (s)', 'Parked'],
      status.outboxes.map((o) => [o.service, String(o.rows), String(o.oldestAgeSeconds ?? ''), String(o.parked ?? '')]),
      { testid: 'outboxes', num: [1, 2, 3] },
    ),
    h('h2', {}, 'Billing hourly values'),
    h(
      'p',
      { 'data-testid': 'billing-backlog' },
      status.billing.problem ??
        `${status.billing.staleAccounts} accounts to recompute (oldest mark ${status.billing.oldestStaleAgeSeconds ?? '-'} s), ` +
          `${status.billing.parked.length} parked, ${status.billing.pendingHours} account-hours waiting for an account or a price.`,
    ),
    status.billing.parked.length > 0
      ? table(
          ['Account', 'Parked since', 'Reason'],
          status.billing.parked.map((p) => [p.accountId, p.parkedAt, p.reason]),
          { testid: 'billing-parked' },
        )
      : null,
    h('h2', {}, 'Dead letters, last 24 h'),
    table(
      ['Topic', 'Records', ''],
      status.deadLetters24h.map((t) => [
        t.topic,
        String(t.records ?? '?'),
        h(
          'a',
          { href: `#/ops?dlq=${encodeURIComponent(source(t.topic))}`, 'data-testid': `dlq-${source(t.topic)}` },
          'latest →',
        ),
      ]),
      { testid: 'dead-letters', num: [1] },
    ),
    h('h2', {}, 'Late samples, last 24 h'),
    table(
      ['Topic', 'Records'],
      status.lateSamples24h.map((t) => [t.topic, String(t.records ?? '?')]),
      { num: [1] },
    ),
    letters
      ? [
          h('h2', {}, `Latest dead letters of ${letters.topic}: ${letters.count} in all, ${letters.waiting} waiting`),
          table(
            ['Time', 'Partition/offset', 'Key', 'Error', 'Service', 'Re-driven'],
            letters.latest.map((l) => [
              l.time,
              `${l.partition}/${l.offset}`,
              l.key ?? '',
              `${l.errorClass}: ${l.errorMessage}`,
              l.service,
              l.redriven === null ? '' : String(l.redriven),
            ]),
            { testid: 'dead-letter-list' },
          ),
        ]
      : null,
  ];
}
