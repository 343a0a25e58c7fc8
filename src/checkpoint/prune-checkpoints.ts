import * as fs from 'fs/promises';
import { findCheckpoints } from './find-checkpoints';
import { tempSiblingPath } from './io/temp-sibling-path';

/** Options of {@link pruneCheckpoints}. */
export interface PruneOptions {
  /** The folder just written; never deleted. */
  newest: string;
  /** File that marks a folder complete (default `manifest.json`). */
  marker?: string;
  /** Keep this many newest checkpoints; undefined keeps all. */
  keepLast?: number;
  /** Also keep the checkpoint with the best value of `metric`, read by `read`. */
  keepBest?: {
    /** Metric to rank by, e.g. `eval/loss`. */
    metric: string;
    /** `min` keeps the lowest value, `max` the highest. */
    mode: 'min' | 'max';
    /** Reads the metric's value saved with a checkpoint (undefined when it has none). */
    read: (dir: string, metric: string) => Promise<number | undefined>;
  };
}

/**
 * Deletes complete `step-N` checkpoints under `root` beyond the newest `keepLast`, keeping the
 * one just written and the best one. Checkpoints of later steps than the one just written (an
 * earlier run went further than the point this one resumed from) are neither counted nor deleted:
 * counting them would delete the checkpoint this run resumed from and keep the abandoned ones.
 * Returns the folders deleted.
 */
export async function pruneCheckpoints(root: string, options: PruneOptions): Promise<string[]> {
  if (options.keepLast === undefined) return [];
  const found = await findCheckpoints(root, options.marker);
  const newestStep = found.find((c) => c.dir === options.newest)?.step;
  const all = newestStep === undefined ? found : found.filter((c) => c.step <= newestStep);
  const keep = new Set(all.slice(0, options.keepLast).map((c) => c.dir));
  keep.add(options.newest);
  const best = options.keepBest;
  if (best !== undefined) {
    let bestDir: string | undefined;
    let bestValue = best.mode === 'min' ? Infinity : -Infinity;
    for (const c of all) {
      const value = await best.read(c.dir, best.metric);
      if (value !== undefined && (best.mode === 'min' ? value < bestValue : value > bestValue)) {
        bestValue = value;
        bestDir = c.dir;
      }
    }
    if (bestDir !== undefined) keep.add(bestDir);
  }
  const removed: string[] = [];
  for (const c of all) {
    if (keep.has(c.dir)) continue;
    // Renamed away first (atomic), so a process killed mid-delete leaves a hidden temp folder the
    // next save removes, never a half-deleted step-N folder that still looks complete.
    const doomed = tempSiblingPath(c.dir);
    await fs.rename(c.dir, doomed);
    await fs.rm(doomed, { recursive: true, force: true });
    removed.push(c.dir);
  }
  return removed;
}
