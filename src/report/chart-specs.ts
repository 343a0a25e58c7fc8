import { RunMetrics } from './run-metrics';

/** A chart of the report: file stem, title and its vega-lite spec. */
export interface ChartSpec {
  /** File stem: `loss` → loss.svg, loss.png. */
  name: string;
  /** Chart title. */
  title: string;
  /** A vega-lite top-level spec with inline data. */
  spec: Record<string, unknown>;
}

interface Point {
  step: number;
  value: number;
  series: string;
}

const WIDTH = 640;
const HEIGHT = 260;
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
const CONFIG = { font: 'DejaVu Sans, Helvetica, Arial, sans-serif', background: 'white', view: { stroke: null } };

/** Points of `values`, dropping NaN/Inf (vega cannot place them; the JSONL keeps them). */
function points<T>(items: T[], step: (t: T) => number, value: (t: T) => number | undefined, series: string): Point[] {
  return items.flatMap((t) => {
    const v = value(t);
    return v !== undefined && Number.isFinite(v) ? [{ step: step(t), value: v, series }] : [];
  });
}

/** Log scale when a positive curve spans more than two decades (a loss that fell 100×). */
function yScale(values: Point[]): Record<string, unknown> {
  const ys = values.map((p) => p.value);
  const min = Math.min(...ys);
  const max = Math.max(...ys);
  return min > 0 && max / min > 100 ? { type: 'log' } : { zero: false };
}

function lineChart(name: string, title: string, yTitle: string, values: Point[]): ChartSpec {
  const multi = new Set(values.map((p) => p.series)).size > 1;
  return {
    name,
    title,
    spec: {
      $schema: SCHEMA,
      title,
      width: WIDTH,
      height: HEIGHT,
      config: CONFIG,
      data: { values },
      mark: { type: 'line', point: values.length <= 60, strokeWidth: 1.5 },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'step' },
        y: { field: 'value', type: 'quantitative', title: yTitle, scale: yScale(values) },
        ...(multi ? { color: { field: 'series', type: 'nominal', title: null, sort: [...new Set(values.map((p) => p.series))] } } : {}),
      },
    },
  };
}

/**
 * The report's charts: training and eval loss, learning rate, gradient norm, and every other
 * eval metric (one panel each, own y scale). Charts without data are left out.
 */
export function buildChartSpecs(metrics: RunMetrics): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const loss = [
    ...points(metrics.train, (p) => p.step, (p) => p.loss, 'train loss'),
    ...points(metrics.eval, (p) => p.step, (p) => p.metrics['eval/loss'], 'eval loss'),
  ];
  if (loss.length > 0) charts.push(lineChart('loss', 'Loss', 'loss', loss));
  const lr = points(metrics.train, (p) => p.step, (p) => p.lr, 'lr');
  if (lr.length > 0) charts.push(lineChart('lr', 'Learning rate', 'learning rate', lr));
  const grad = points(metrics.train, (p) => p.step, (p) => p.gradNorm, 'grad norm');
  if (grad.length > 0) charts.push(lineChart('grad-norm', 'Gradient norm (before clipping)', 'global L2 norm', grad));
  const names = [...new Set(metrics.eval.flatMap((p) => Object.keys(p.metrics)))].filter((n) => n !== 'eval/loss').sort();
  const evals = names.flatMap((n) => points(metrics.eval, (p) => p.step, (p) => p.metrics[n], n));
  if (evals.length > 0) {
    charts.push({
      name: 'eval',
      title: 'Evaluation metrics',
      spec: {
        $schema: SCHEMA,
        title: 'Evaluation metrics',
        config: CONFIG,
        data: { values: evals },
        facet: { row: { field: 'series', type: 'nominal', title: null } },
        spec: {
          width: WIDTH,
          height: 160,
          mark: { type: 'line', point: true, strokeWidth: 1.5 },
          encoding: {
            x: { field: 'step', type: 'quantitative', title: 'step' },
            y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
          },
        },
        resolve: { scale: { y: 'independent' } },
      },
    });
  }
  return charts;
}
