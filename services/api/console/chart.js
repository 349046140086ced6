// A stacked hourly chart with uPlot: uPlot draws lines and fills, so stacking is cumulative series drawn top first,
// each filled down over the one below; the legend shows each series' own value, not the running sum.
import uPlot from '/vendor/uplot/uPlot.esm.js';

const COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#aec7e8',
  '#999',
];

/**
 * stackedChart(el, xs (unix seconds), [{ label, values }], unit) -> a uPlot drawn into `el`.
 * `values[i]` is the series' own value at `xs[i]`; the chart stacks them in the order given.
 */
export function stackedChart(el, xs, series, unit, width = 1100) {
  const stacked = [];
  let running = xs.map(() => 0);
  for (const s of series) {
    running = running.map((sum, i) => sum + (s.values[i] ?? 0));
    stacked.push(running);
  }
  // uPlot paints in order; the highest cumulative goes first so the lower fills stay visible on top of it.
  const order = series.map((_, i) => i).reverse();
  return new uPlot(
    {
      width,
      height: 360,
      scales: { x: { time: true } },
      axes: [{}, { label: unit, size: 70 }],
      series: [
        {},
        ...order.map((i) => ({
          label: series[i].label,
          stroke: COLORS[i % COLORS.length],
          fill: `${COLORS[i % COLORS.length]}99`,
          width: 1,
          points: { show: false },
          value: (_u, _v, _si, idx) => (idx === null ? '—' : String(series[i].values[idx] ?? 0)),
        })),
      ],
    },
    [xs, ...order.map((i) => stacked[i])],
    el,
  );
}
