import { promises as fs } from 'fs';
import * as path from 'path';
import { parse } from 'yaml';

/** Where a run's metrics are: its metrics.jsonl and the folder of its TensorBoard event files. */
export interface MetricSources {
  /** The run's metrics JSONL file (`metrics.jsonl` in the run folder unless a recipe moves it). */
  metricsFile: string;
  /** Folder holding `events.out.tfevents.*` (the run folder unless a recipe moves them). */
  eventsDir: string;
  /** The run's status file (`status.json` in the run folder unless a recipe moves it). */
  statusFile: string;
}

/** The built-in places: `<runDir>/metrics.jsonl`, the run folder itself and `<runDir>/status.json`. */
export function defaultMetricSources(runDir: string): MetricSources {
  return { metricsFile: path.join(runDir, 'metrics.jsonl'), eventsDir: runDir, statusFile: path.join(runDir, 'status.json') };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Where a finished or running run wrote its metrics: the defaults, or what its
 * `recipe.resolved.yaml` lists (a `metrics-jsonl` callback's `file`, a `tensorboard` callback's
 * `logDir`, a `status` callback's `file`, relative to the run folder as the callbacks resolve
 * them). A missing or unreadable recipe leaves the defaults.
 */
export async function runMetricSources(runDir: string): Promise<MetricSources> {
  let recipe: unknown;
  try {
    recipe = parse(await fs.readFile(path.join(runDir, 'recipe.resolved.yaml'), 'utf8'));
  } catch {
    return defaultMetricSources(runDir);
  }
  return metricSourcesOf(runDir, isRecord(recipe) && Array.isArray(recipe.callbacks) ? recipe.callbacks : []);
}

/**
 * Where a run in `runDir` with these recipe `callbacks:` (plain objects or config instances)
 * writes its metrics and status: a listed `metrics-jsonl` callback's `file`, `tensorboard`'s
 * `logDir` and `status`'s `file` replace the defaults, relative to the run folder.
 */
export function metricSourcesOf(runDir: string, callbacks: readonly unknown[]): MetricSources {
  const sources = defaultMetricSources(runDir);
  for (const cb of callbacks.filter(isRecord)) {
    if (cb.type === 'metrics-jsonl' && typeof cb.file === 'string') sources.metricsFile = path.resolve(runDir, cb.file);
    if (cb.type === 'tensorboard' && typeof cb.logDir === 'string') sources.eventsDir = path.resolve(runDir, cb.logDir);
    if (cb.type === 'status' && typeof cb.file === 'string') sources.statusFile = path.resolve(runDir, cb.file);
  }
  return sources;
}
