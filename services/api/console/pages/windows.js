// One instance-hour down to its 120 windows of 30 s per interface: which ones metering counted.
import { get } from '../api.js';
import { h } from '../dom.js';

export async function windowsPage({ params }) {
  const { instanceId, hour } = params;
  const d = await get(`/v1/instances/${encodeURIComponent(instanceId)}/hours/${encodeURIComponent(hour)}`);
  return [
    h(
      'div',
      { class: 'crumbs' },
      h('a', { href: `#/accounts/${encodeURIComponent(d.accountId)}` }, d.accountId),
      ` / ${instanceId} / ${d.hourStart}`,
    ),
    h('h1', {}, `${instanceId}, hour from ${d.hourStart}`),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Type'),
      h('dd', {}, d.instanceType),
      h('dt', {}, 'Running seconds'),
      h('dd', { 'data-testid': 'running-seconds' }, d.runningSeconds),
      h('dt', {}, 'Egress / ingress bytes'),
      h('dd', {}, `${d.txBytes} / ${d.rxBytes}`),
      h('dt', {}, 'CPU seconds'),
      h('dd', {}, d.cpuSeconds),
      h('dt', {}, 'Version, updated'),
      h('dd', {}, `${d.version}, ${d.updatedAt}`),
    ),
    d.interfaces.map((iface) => [
      h(
        'h2',
        {},
        `${iface.interfaceId}: `,
        h('span', { 'data-testid': `counted-${iface.interfaceId}` }, String(iface.countedWindows)),
        ' of 120 windows counted',
      ),
      h(
        'div',
        { class: 'windows', 'data-testid': `windows-${iface.interfaceId}` },
        iface.windows.map((w) =>
          h(
            'span',
            {
              class: w.counted ? 'counted' : undefined,
              title: `${w.windowStart} ${w.counted ? 'counted' : 'not counted'}`,
            },
            String(w.slot),
          ),
        ),
      ),
    ]),
  ];
}
