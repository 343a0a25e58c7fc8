import { RunMetrics } from './run-metrics';

/** What the HTML page shows. */
export interface ReportPage {
  /** Run folder name, as the title. */
  title: string;
  /** Parsed status.json, if the run has one. */
  status?: Record<string, unknown>;
  /** The run's curves. */
  metrics: RunMetrics;
  /** Charts in page order: title, inline SVG, PNG file name. */
  charts: {
    /** Chart title. */
    title: string;
    /** Inline SVG. */
    svg: string;
    /** PNG file name, next to the page. */
    png: string;
  }[];
  /** recipe.resolved.yaml text, if present. */
  recipe?: string;
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

function formatValue(v: unknown): string {
  // Five significant digits without padding zeros: 0.021, not 0.021000.
  if (typeof v === 'number') return Number.isInteger(v) || !Number.isFinite(v) ? String(v) : String(Number(v.toPrecision(5)));
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

function row(key: string, value: unknown): string {
  return `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(formatValue(value))}</td></tr>`;
}

/** The summary rows: state and progress from status.json, then the last training and eval values. */
function summaryRows(page: ReportPage): string[] {
  const rows: string[] = [];
  const s = page.status ?? {};
  if (s.state !== undefined) rows.push(row('state', s.state));
  if (s.step !== undefined) rows.push(row('step', `${s.step} / ${s.totalSteps ?? '?'}`));
  for (const key of ['stopReason', 'error', 'checkpoint', 'elapsedSec', 'updatedAt']) if (s[key] !== undefined) rows.push(row(key, s[key]));
  const lastTrain = page.metrics.train[page.metrics.train.length - 1];
  if (lastTrain !== undefined) {
    rows.push(row('last logged step', lastTrain.step));
    if (lastTrain.loss !== undefined) rows.push(row('train loss', lastTrain.loss));
  }
  const lastEval = page.metrics.eval[page.metrics.eval.length - 1];
  if (lastEval !== undefined) for (const [k, v] of Object.entries(lastEval.metrics)) rows.push(row(`${k} (step ${lastEval.step})`, v));
  return rows;
}

/** A self-contained HTML page: summary table, the charts inline (SVG) with links to PNGs, the recipe. */
export function renderReportHtml(page: ReportPage): string {
  const charts = page.charts
    .map((c) => `<section><h2>${escapeHtml(c.title)}</h2>${c.svg}<p><a href="${escapeHtml(c.png)}">${escapeHtml(c.png)}</a></p></section>`)
    .join('\n');
  const recipe = page.recipe === undefined ? '' : `<section><h2>Recipe</h2><pre>${escapeHtml(page.recipe)}</pre></section>`;
  const empty = page.charts.length === 0 ? '<p>No finite metrics were logged yet.</p>' : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(page.title)} — Floe report</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 760px; color: #222; }
table { border-collapse: collapse; } th, td { text-align: left; padding: 2px 12px 2px 0; } th { color: #555; font-weight: normal; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; } section { margin-top: 2em; }
</style>
</head>
<body>
<h1>${escapeHtml(page.title)}</h1>
<table>
${summaryRows(page).join('\n')}
</table>
${empty}${charts}
${recipe}
<p><small>Data: ${page.metrics.sources.map((f) => escapeHtml(f)).join(', ')}</small></p>
</body>
</html>
`;
}
