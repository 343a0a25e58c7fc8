import * as path from 'path';
import { CheckpointError } from '../errors';
import { fsErrorReason } from '../errors/fs-error-reason';
import { findCheckpoints } from './find-checkpoints';

/** Options of {@link saveError}. */
export interface SaveErrorOptions {
  /** The step folder being written. */
  dir: string;
  /** Optimizer step of the save. */
  step: number;
  /** Config path of the engine, e.g. `checkpoint[0]`. */
  setting: string;
  /** File marking a complete checkpoint in the engine's folder (default `manifest.json`). */
  marker?: string;
}

/**
 * A file-system error from writing a checkpoint (a full disk, a folder made read-only during the
 * run) as a CheckpointError saying what was not saved, what is still there and what to do; other
 * errors are returned as they are.
 */
export async function saveError(error: unknown, options: SaveErrorOptions): Promise<unknown> {
  if (typeof (error as NodeJS.ErrnoException | undefined)?.code !== 'string') return error;
  const root = path.dirname(options.dir);
  // The save is atomic: what is left is the engine's earlier checkpoints.
  const newest = (await findCheckpoints(root, options.marker)).find((c) => c.dir !== options.dir)?.dir;
  const room = `Make room (or set ${options.setting}.dir to another disk)`;
  const next = newest === undefined ? `There is no earlier checkpoint in that folder. ${room}, then start the run again (--set overwriteOutputDir=true replaces this one).` : `Earlier checkpoints are intact; the newest is ${newest}. ${room}, then resume from it with --resume.`;
  return new CheckpointError(`Cannot save the step ${options.step} checkpoint to ${options.dir} (${options.setting}): ${fsErrorReason(error)}. Nothing of this save was kept. ${next}`, { cause: error });
}
