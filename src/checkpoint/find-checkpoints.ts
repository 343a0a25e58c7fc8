import * as fs from 'fs/promises';
import * as path from 'path';

/** A complete checkpoint folder found on disk. */
export interface FoundCheckpoint {
  /** The checkpoint folder. */
  dir: string;
  /** Optimizer step it was written at (from its `step-NNNNNN` name). */
  step: number;
}

/**
 * Complete checkpoints under `root`, newest step first. A folder counts only when named
 * `step-N` and holding `marker` (default `manifest.json`, the last file written before the atomic
 * rename), so a crash mid-save is never picked up.
 */
export async function findCheckpoints(root: string, marker = 'manifest.json'): Promise<FoundCheckpoint[]> {
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch {
    return [];
  }
  const found: FoundCheckpoint[] = [];
  for (const name of names) {
    const m = /^step-(\d+)$/.exec(name);
    if (m === null) continue;
    const dir = path.join(root, name);
    try {
      await fs.access(path.join(dir, marker));
      found.push({ dir, step: Number(m[1]) });
    } catch {
      // incomplete or foreign folder: skip
    }
  }
  return found.sort((a, b) => b.step - a.step);
}
