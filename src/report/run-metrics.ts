import { promises as fs } from 'fs';
import * as path from 'path';
import { parseJsonl } from '../callbacks/writers/read-jsonl';
import { readTensorBoardEvents } from '../callbacks/writers/read-tensorboard-events';
import { FloeError } from '../errors';
import { MetricSources, runMetricSources } from './metric-sources';

/** One logged training step. */
export interface TrainPoint {
  /** Optimizer step. */
  step: number;
  /** Mean training loss of the logged window. */
  loss?: number;
  /** Learning rate. */
  lr?: number;
  /** Global gradient norm before clipping. */
  gradNorm?: number;
  /** Throughput in tokens per second. */
  tokensPerSec?: number;
  /** Throughput in examples per second. */
  samplesPerSec?: number;
}

/** One evaluation: its step and metrics (`eval/loss`, ...). */
export interface EvalPoint {
  /** Optimizer step of the evaluation. */
  step: number;
  /** Its metrics by name. */
  metrics: Record<string, number>;
}

/** The curves of a run, oldest first, one point per step. */
export interface RunMetrics {
  /** Logged training points. */
  train: TrainPoint[];
  /** Evaluations. */
  eval: EvalPoint[];
  /** The file(s) they were read from. */
  sources: string[];
  /**
   * Lines of metrics.jsonl that are not JSON (`metrics.jsonl:3`) and were left out; a last line
   * without its newline (a record being written while the run goes on) is not one of them.
   */
  skippedLines?: string[];
}

const TRAIN_KEYS = ['loss', 'lr', 'gradNorm', 'tokensPerSec', 'samplesPerSec'] as const;
const RECORD_META = new Set(['event', 'step', 'epoch', 'elapsed', 'time', 'memory']);
const TB_TAGS: Record<string, (typeof TRAIN_KEYS)[number]> = {
  'train/loss': 'loss',
  'train/lr': 'lr',
  'train/grad_norm': 'gradNorm',
  'train/tokens_per_sec': 'tokensPerSec',
  'train/samples_per_sec': 'samplesPerSec',
};

/**
 * Collects points in file order. A resumed run appends from its checkpoint's step, so when steps go
 * back, the later run wins: earlier points from that step on are dropped.
 */
class PointCollector {
  readonly train: TrainPoint[] = [];
  readonly eval: EvalPoint[] = [];
  private lastStep = -Infinity;

  add(kind: 'train' | 'eval', step: number, values: Record<string, number>): void {
    if (step < this.lastStep) this.dropFrom(step);
    this.lastStep = step;
    if (kind === 'train') {
      const last = this.train[this.train.length - 1];
      if (last?.step === step) Object.assign(last, values);
      else this.train.push({ step, ...values });
    } else {
      const last = this.eval[this.eval.length - 1];
      if (last?.step === step) Object.assign(last.metrics, values);
      else this.eval.push({ step, metrics: { ...values } });
    }
  }

  /** Drops the points at `step` or later (a resumed run writes them again). */
  dropFrom(step: number): void {
    const keep = <P extends { step: number }>(points: P[]): void => {
      const n = points.findIndex((p) => p.step >= step);
      if (n >= 0) points.length = n;
    };
    keep(this.train);
    keep(this.eval);
    this.lastStep = Math.min(this.lastStep, step);
  }
}

/**
 * Reads a run's curves from its metrics JSONL file, or from its TensorBoard event files when there
 * is none. `sources` says where they are (default: as the run's recipe.resolved.yaml puts them).
 */
export async function readRunMetrics(runDir: string, sources?: MetricSources): Promise<RunMetrics> {
  const stat = await fs.stat(runDir).catch(() => undefined);
  if (stat === undefined || !stat.isDirectory()) throw new FloeError(`${runDir} is ${stat === undefined ? 'not there' : 'a file'}: give a run folder (the outputDir of a run, e.g. runs/quickstart)`);
  const { metricsFile, eventsDir } = sources ?? (await runMetricSources(runDir));
  if (await exists(metricsFile)) return fromJsonl(metricsFile);
  const events = (await fs.readdir(eventsDir).catch(() => [] as string[])).filter((f) => f.startsWith('events.out.tfevents.')).sort();
  if (events.length > 0) return fromEvents(events.map((f) => path.join(eventsDir, f)));
  const inCheckpoints = await enclosingRunFolder(runDir);
  if (inCheckpoints !== undefined) {
    throw new FloeError(`${runDir} is ${inCheckpoints.what}, not a run folder: give the run folder${inCheckpoints.run === undefined ? ' (the outputDir of the run)' : `, ${inCheckpoints.run}`}`);
  }
  const eventsWhere = path.resolve(eventsDir) === path.resolve(runDir) ? '' : ` in ${path.relative(runDir, eventsDir)}`;
  throw new FloeError(
    `No metrics in ${runDir}: expected ${path.relative(runDir, metricsFile)} or events.out.tfevents.*${eventsWhere} (the recipe may have turned off metricsLog and tensorboard)`,
  );
}

/**
 * For a checkpoint folder (`manifest.json`) or a folder of them (`step-*` holding one), which the
 * other commands' --checkpoint take: what it is, and the nearest folder above with a run's
 * status.json or metrics.jsonl.
 */
async function enclosingRunFolder(dir: string): Promise<{ what: string; run?: string } | undefined> {
  let what: string | undefined;
  if (await exists(path.join(dir, 'manifest.json'))) what = 'a checkpoint folder';
  else {
    const steps = (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith('step-'));
    for (const step of steps) if (what === undefined && (await exists(path.join(dir, step, 'manifest.json')))) what = 'a folder of checkpoints';
  }
  if (what === undefined) return undefined;
  for (let up = path.dirname(path.resolve(dir)), i = 0; i < 3 && up !== path.dirname(up); up = path.dirname(up), i++) {
    if ((await exists(path.join(up, 'status.json'))) || (await exists(path.join(up, 'metrics.jsonl')))) return { what, run: path.relative(process.cwd(), up) || '.' };
  }
  return { what };
}

async function fromJsonl(file: string): Promise<RunMetrics> {
  const collector = new PointCollector();
  const text = await fs.readFile(file, 'utf8');
  const lines = text.split('\n');
  const skippedLines: string[] = [];
  const records: Array<Record<string, unknown>> = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      records.push(parseJsonl<Record<string, unknown>>(line, file)[0]);
    } catch {
      // The run may be writing its last record now; a bad line before it is damage, and says so.
      if (i < lines.length - 1) skippedLines.push(`${file}:${i + 1}`);
    }
  });
  for (const record of records) {
    if (typeof record.step !== 'number') continue;
    const values: Record<string, number> = {};
    if (record.event === 'train') {
      for (const key of TRAIN_KEYS) if (typeof record[key] === 'number') values[key] = record[key] as number;
    } else if (record.event === 'eval') {
      for (const [key, v] of Object.entries(record)) if (!RECORD_META.has(key) && typeof v === 'number') values[key] = v;
    } else {
      continue;
    }
    collector.add(record.event, record.step, values);
  }
  return { train: collector.train, eval: collector.eval, sources: [file], ...(skippedLines.length > 0 ? { skippedLines } : {}) };
}

async function fromEvents(files: string[]): Promise<RunMetrics> {
  const collector = new PointCollector();
  for (const file of files) {
    for (const event of await readTensorBoardEvents(file)) {
      if (event.sessionStart === true) collector.dropFrom(event.step);
      const train: Record<string, number> = {};
      const evals: Record<string, number> = {};
      for (const { tag, value } of event.scalars ?? []) {
        if (TB_TAGS[tag] !== undefined) train[TB_TAGS[tag]] = value;
        else if (!tag.startsWith('train/')) evals[tag] = value;
      }
      if (Object.keys(train).length > 0) collector.add('train', event.step, train);
      if (Object.keys(evals).length > 0) collector.add('eval', event.step, evals);
    }
  }
  return { train: collector.train, eval: collector.eval, sources: files };
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.stat(file);
    return true;
  } catch {
    return false;
  }
}
