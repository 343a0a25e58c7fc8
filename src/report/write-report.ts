import { promises as fs } from 'fs';
import * as path from 'path';
import { makeFolder } from '../checkpoint/io/make-folder';
import { FloeError } from '../errors';
import { fsErrorReason } from '../errors/fs-error-reason';
import { buildChartSpecs } from './chart-specs';
import { renderChart } from './render-chart';
import { renderReportHtml } from './report-html';
import { MetricSources, runMetricSources } from './metric-sources';
import { readRunMetrics } from './run-metrics';
import { withLiveness } from './run-liveness';

/** Options of {@link writeReport}. */
export interface WriteReportOptions {
  /** Folder for the report files (default: the run folder). */
  outDir?: string;
  /** Where the metrics and status are (default: as the run's recipe.resolved.yaml puts them). */
  sources?: MetricSources;
}

/** What {@link writeReport} wrote. */
export interface ReportFiles {
  /** The HTML page. */
  html: string;
  /** Every file written (SVGs, PNGs, the page). */
  files: string[];
  /** Training and evaluation points the charts hold (0 before the first log line of a run). */
  points: number;
  /** Lines of metrics.jsonl left out as not JSON (`file:line`), see {@link RunMetrics.skippedLines}. */
  skippedLines: string[];
}

/**
 * Writes a run's report: loss / learning-rate / gradient-norm / eval curves as SVG and PNG, and
 * `report.html` with a summary (from status.json), the charts and the resolved recipe. Reads
 * `metrics.jsonl` (or the TensorBoard event files); safe to run while training is in progress.
 */
export async function writeReport(runDir: string, options: WriteReportOptions = {}): Promise<ReportFiles> {
  const dir = path.resolve(runDir);
  const outDir = path.resolve(options.outDir ?? dir);
  const sources = options.sources ?? (await runMetricSources(dir));
  const metrics = await readRunMetrics(dir, sources);
  const status = withLiveness(await readOptional(sources.statusFile).then((t) => (t === undefined ? undefined : parseObject(t))));
  const recipe = await readOptional(path.join(dir, 'recipe.resolved.yaml'));
  // makeFolder, not mkdir -p: Node's recursive mkdir never returns below a folder such as /proc.
  await makeFolder(outDir).catch((error: unknown) => Promise.reject(cannotWrite(outDir, error)));
  const files: string[] = [];
  const charts: { title: string; svg: string; png: string }[] = [];
  for (const chart of buildChartSpecs(metrics)) {
    const { svg, png } = await renderChart(chart.spec);
    const svgFile = path.join(outDir, `${chart.name}.svg`);
    const pngFile = path.join(outDir, `${chart.name}.png`);
    await writeFile(svgFile, svg);
    await writeFile(pngFile, png);
    files.push(svgFile, pngFile);
    charts.push({ title: chart.title, svg, png: path.basename(pngFile) });
  }
  const html = path.join(outDir, 'report.html');
  await writeFile(html, renderReportHtml({ title: path.basename(dir), status, metrics, charts, recipe }));
  files.push(html);
  return { html, files, points: metrics.train.length + metrics.eval.length, skippedLines: metrics.skippedLines ?? [] };
}

/** A report that cannot be written where asked is the user's to fix (a file in the way, no permission): say where and why. */
function cannotWrite(target: string, error: unknown): FloeError {
  return new FloeError(`Cannot write the report to ${target}: ${fsErrorReason(error)}`, { cause: error });
}

async function writeFile(file: string, data: string | Uint8Array): Promise<void> {
  await fs.writeFile(file, data).catch((error: unknown) => Promise.reject(cannotWrite(file, error)));
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
