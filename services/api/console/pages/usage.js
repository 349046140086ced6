// An account's hourly usage, stacked by instance, over a picked range; totals summed from the plotted hours, exactly,
// beside the API's own totals for the range.
import { allUsage } from '../api.js';
import { stackedChart } from '../chart.js';
import { h, table } from '../dom.js';
import { grouped, sumDecimal } from '../exact.js';

const HOUR = 3_600_000;
const MAX_SERIES = 10; // more instances than this: the rest stack as one "other" band

/** What can be charted: the field of a usage item, its label, and how a value becomes a plotted number. */
const MEASURES = {
  runningSeconds: { label: 'Running hours', unit: 'hours', plot: (v) => Number(v) / 3600 },
  txBytes: { label: 'Egress GB', unit: 'GB', plot: (v) => Number(v) / 1e9 },
  rxBytes: { label: 'Ingress GB', unit: 'GB', plot: (v) => Number(v) / 1e9 },
  cpuSeconds: { label: 'CPU seconds', unit: 's', plot: (v) => Number(v) },
};

const day = (ms) => new Date(ms).toISOString().slice(0, 10);

export async function usagePage({ params, query }) {
  const id = params.accountId;
  const now = Date.now();
  const to = query.has('to')
    ? Date.parse(`${query.get('to')}T00:00:00Z`) + 86_400_000
    : Math.ceil(now / 86_400_000) * 86_400_000;
  const from = query.has('from') ? Date.parse(`${query.get('from')}T00:00:00Z`) : to - 7 * 86_400_000;
  const measure = MEASURES[query.get('measure')] ? query.get('measure') : 'runningSeconds';

  const { items, totals } = await allUsage(`/v1/accounts/${encodeURIComponent(id)}/usage`, {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    bucket: 'hour',
    groupBy: 'instance',
  });

  const picker = rangePicker(id, day(from), day(to - 86_400_000), measure);
  const head = [
    h(
      'div',
      { class: 'crumbs' },
      h('a', { href: '#/search' }, 'Accounts'),
      ' / ',
      h('a', { href: `#/accounts/${encodeURIComponent(id)}` }, id),
      ' / usage',
    ),
    h('h1', {}, `Usage of ${id}`),
    picker,
  ];
  if (items.length === 0)
    return [...head, h('p', { class: 'muted', 'data-testid': 'no-usage' }, 'No usage in this range.')];

  // Hours on the x axis, one series per instance, the largest first; the tail summed into "other".
  const xs = [];
  for (let t = from; t < to; t += HOUR) xs.push(t / 1000);
  const byInstance = new Map();
  for (const item of items) {
    const list = byInstance.get(item.group) ?? [];
    list.push(item);
    byInstance.set(item.group, list);
  }
  const size = (list) => list.reduce((s, i) => s + MEASURES[measure].plot(i[measure]), 0);
  const ranked = [...byInstance.entries()].sort((a, b) => size(b[1]) - size(a[1]) || (a[0] < b[0] ? -1 : 1));
  const shown = ranked.slice(0, MAX_SERIES);
  const rest = ranked.slice(MAX_SERIES).flatMap(([, list]) => list);
  const valuesOf = (list) => {
    const values = xs.map(() => 0);
    for (const item of list) values[(Date.parse(item.period) - from) / HOUR] += MEASURES[measure].plot(item[measure]);
    return values;
  };
  const series = shown.map(([instance, list]) => ({ label: instance, values: valuesOf(list) }));
  if (rest.length > 0)
    series.push({ label: `other (${ranked.length - MAX_SERIES} instances)`, values: valuesOf(rest) });

  const chartEl = h('div', { 'data-testid': 'usage-chart' });
  queueMicrotask(() => stackedChart(chartEl, xs, series, MEASURES[measure].unit));

  // The chart's totals: exact sums of the very items it plots, compared with what the API says of the range.
  const fields = Object.keys(MEASURES);
  const chartTotals = Object.fromEntries(fields.map((f) => [f, sumDecimal(items.map((i) => i[f]))]));
  const totalRows = fields.map((f) => {
    const same = chartTotals[f] === String(totals[f]);
    return [
      MEASURES[f].label.replace(/ (hours|GB)$/, '') +
        (f === 'runningSeconds' ? ' (seconds)' : f.endsWith('Bytes') ? ' (bytes)' : ''),
      h('span', { 'data-testid': `chart-total-${f}` }, grouped(chartTotals[f])),
      h('span', { 'data-testid': `api-total-${f}` }, grouped(totals[f])),
      h('span', { class: same ? 'ok' : 'mismatch' }, same ? 'equal' : 'DIFFERENT'),
    ];
  });
  const perInstance = ranked.map(([instance, list]) => [
    instance,
    grouped(sumDecimal(list.map((i) => i.runningSeconds))),
    grouped(sumDecimal(list.map((i) => i.txBytes))),
    grouped(sumDecimal(list.map((i) => i.rxBytes))),
    String(list.length),
  ]);
  return [
    ...head,
    h('h2', {}, `${MEASURES[measure].label} per hour, stacked by instance (UTC)`),
    chartEl,
    h('h2', {}, 'Totals of the range'),
    table(['Measure', 'Sum of the chart', 'API total', ''], totalRows, { testid: 'usage-totals', num: [1, 2] }),
    h('h2', {}, `Instances (${ranked.length})`),
    table(['Instance', 'Running seconds', 'Egress bytes', 'Ingress bytes', 'Hours with usage'], perInstance, {
      testid: 'usage-instances',
      num: [1, 2, 3, 4],
    }),
  ];
}

function rangePicker(id, fromDay, toDay, measure) {
  const from = h('input', { type: 'date', name: 'from', value: fromDay, 'data-testid': 'range-from' });
  const to = h('input', { type: 'date', name: 'to', value: toDay, 'data-testid': 'range-to' });
  const select = h(
    'select',
    { name: 'measure', 'data-testid': 'measure' },
    Object.entries(MEASURES).map(([key, m]) => h('option', { value: key, selected: key === measure }, m.label)),
  );
  const go = (f, t, m) => {
    location.hash = `#/accounts/${encodeURIComponent(id)}/usage?from=${f}&to=${t}&measure=${m}`;
  };
  const preset = (days) =>
    h(
      'button',
      {
        type: 'button',
        onclick: () => go(day(Date.parse(`${to.value}T00:00:00Z`) - (days - 1) * 86_400_000), to.value, select.value),
      },
      `${days} d`,
    );
  return h(
    'form',
    {
      'data-testid': 'range',
      onsubmit: (event) => {
        event.preventDefault();
        go(from.value, to.value, select.value);
      },
    },
    h('label', {}, 'From (UTC day)', from),
    h('label', {}, 'To (inclusive)', to),
    h('label', {}, 'Measure', select),
    h('button', { type: 'submit', 'data-testid': 'range-apply' }, 'Show'),
    preset(1),
    preset(7),
    preset(31),
  );
}
