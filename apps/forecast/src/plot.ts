/**
 * Pictures of a forecast: an SVG (Vega-Lite, rendered headless by Vega) with the history, the
 * test actuals, the model's and the seasonal-naive forecasts, and the loss curves; and a
 * compact chart for the terminal (asciichart).
 */
import asciichart from 'asciichart';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { EpochStats } from './forecast.js';

export interface PlotData {
  title: string;
  times: readonly string[];
  values: readonly number[];
  /** First step of the test part. */
  testStart: number;
  /** Forecast paths, each a list of `[step index, value]`. */
  forecasts: { name: string; points: readonly (readonly [number, number])[] }[];
  history: readonly EpochStats[];
}

/** The SVG text of the forecast chart above the loss curves. */
export async function forecastSvg(d: PlotData): Promise<string> {
  const rows: { t: string; i: number; value: number; series: string }[] = [];
  d.values.forEach((v, i) => rows.push({ t: d.times[i]!, i, value: v, series: i < d.testStart ? 'history' : 'test actuals' }));
  // the history line continues into the test part's first point, so the two lines join
  rows.push({ t: d.times[d.testStart]!, i: d.testStart, value: d.values[d.testStart]!, series: 'history' });
  for (const f of d.forecasts) for (const [i, v] of f.points) rows.push({ t: d.times[i] ?? String(i), i, value: v, series: f.name });
  const series = ['history', 'test actuals', ...d.forecasts.map((f) => f.name)];
  const losses = d.history.flatMap((e) => [
    { epoch: e.epoch, loss: e.train, curve: 'training' },
    { epoch: e.epoch, loss: e.val, curve: 'validation' },
  ]);
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: d.title,
    config: { font: 'sans-serif', view: { stroke: null } },
    // the two panels have their own colours and legends
    resolve: { scale: { color: 'independent', strokeDash: 'independent' }, legend: { color: 'independent' } },
    vconcat: [
      {
        width: 720,
        height: 300,
        data: { values: rows },
        mark: { type: 'line', strokeWidth: 1.6 },
        encoding: {
          x: { field: 't', type: 'ordinal', title: null, sort: null, axis: { labelExpr: "substring(datum.label, 5) === '01' || length(datum.label) < 5 ? datum.label : ''", labelAngle: -45 } },
          y: { field: 'value', type: 'quantitative', title: 'value', scale: { zero: false } },
          color: { field: 'series', type: 'nominal', sort: series, scale: { domain: series }, legend: { title: null, orient: 'top-left' } },
          strokeDash: { field: 'series', type: 'nominal', sort: series, scale: { domain: series, range: series.map((s) => (s === 'history' || s === 'test actuals' ? [1, 0] : [5, 3])) } },
        },
      },
      {
        width: 720,
        height: 160,
        data: { values: losses },
        mark: { type: 'line', strokeWidth: 1.4 },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
          y: { field: 'loss', type: 'quantitative', title: 'MSE (scaled)', scale: { type: 'log' } },
          color: { field: 'curve', type: 'nominal', legend: { title: null, orient: 'top-right' } },
        },
      },
    ],
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Actuals and forecast over the test part as a small terminal chart (coloured on a terminal). */
export function terminalChart(actual: readonly number[], forecast: readonly number[], options: { height?: number; color?: boolean } = {}): string {
  const color = options.color ?? false;
  const chart = asciichart.plot([[...actual], [...forecast]], { height: options.height ?? 10, ...(color ? { colors: [asciichart.default, asciichart.green] } : {}) });
  const legend = color ? `── test actuals   ${asciichart.green}──${asciichart.reset} forecast` : '(test actuals and forecast; in colour on a terminal)';
  return `${chart}\n${' '.repeat(10)}${legend}`;
}
