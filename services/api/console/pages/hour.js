// One hour of an account: its instances then (of the SKU's instance type when the line is compute), each opening
// its 30 s windows.
import { allUsage, get } from '../api.js';
import { h, table } from '../dom.js';

const DETAILS_AT_MOST = 200; // instance types come from each instance-hour; beyond this many, the list is unfiltered

export async function hourPage({ params, query }) {
  const { accountId, hour } = params;
  const sku = query.get('sku') ?? '';
  const start = Date.parse(hour);
  const { items } = await allUsage(`/v1/accounts/${encodeURIComponent(accountId)}/usage`, {
    from: new Date(start).toISOString(),
    to: new Date(start + 3_600_000).toISOString(),
    bucket: 'hour',
    groupBy: 'instance',
  });
  const type = sku.startsWith('compute.') ? sku.slice('compute.'.length) : undefined;
  let types = new Map();
  if (items.length <= DETAILS_AT_MOST) {
    const details = await Promise.all(
      items.map((item) =>
        get(
          `/v1/instances/${encodeURIComponent(item.group)}/hours/${encodeURIComponent(new Date(start).toISOString())}`,
        ),
      ),
    );
    types = new Map(details.map((d) => [d.instanceId, d.instanceType]));
  }
  const shown = type === undefined || types.size === 0 ? items : items.filter((item) => types.get(item.group) === type);
  const rows = shown.map((item) => [
    h(
      'a',
      {
        href: `#/instances/${encodeURIComponent(item.group)}/hours/${encodeURIComponent(new Date(start).toISOString())}`,
        'data-testid': `instance-${item.group}`,
      },
      item.group,
    ),
    types.get(item.group) ?? '',
    item.runningSeconds,
    item.txBytes,
    item.rxBytes,
    item.cpuSeconds,
  ]);
  return [
    h(
      'div',
      { class: 'crumbs' },
      h('a', { href: `#/accounts/${encodeURIComponent(accountId)}` }, accountId),
      ` / ${new Date(start).toISOString()}`,
    ),
    h('h1', {}, `${accountId} in the hour from ${new Date(start).toISOString()}`),
    type ? h('p', { class: 'muted' }, `Instances of type ${type} (the ${sku} line).`) : null,
    table(['Instance', 'Type', 'Running seconds', 'Egress bytes', 'Ingress bytes', 'CPU seconds'], rows, {
      testid: 'hour-instances',
      num: [2, 3, 4, 5],
    }),
  ];
}
