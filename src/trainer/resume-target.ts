import * as path from 'path';
import { findCheckpoints } from '../checkpoint/find-checkpoints';
import { PENDING_RESUME, PendingResume } from '../checkpoint/pending-resume';
import { resolveCheckpointDir } from '../checkpoint/resolve-checkpoint-dir';
import type { ResolvedRecipe } from '../config/validate-recipe';
import { floeEngineFolders } from './floe-checkpoint-dirs';
import type { Trainer } from './trainer';

/**
 * The checkpoint folder the run's resume will load, picked as the run's floe engine picks it
 * (`--resume`: the first floe engine resolves it; autoResume: the newest complete checkpoint of
 * the first such engine holding one), found before the trainer is set up. Undefined when the run
 * does not resume or the folder does not resolve: the resume then fails (or starts over) as before.
 */
export async function findResumeCheckpoint(resolved: ResolvedRecipe, options: { outputDir: string; resumeFrom?: string }): Promise<string | undefined> {
  const engines = floeEngineFolders(resolved);
  if (options.resumeFrom !== undefined) {
    if (engines.length === 0) return undefined;
    return resolveCheckpointDir(path.resolve(options.resumeFrom), { checkpointDirs: [engines[0].dir] }).catch(() => undefined);
  }
  for (const engine of engines) {
    if (!engine.autoResume) continue;
    const newest = (await findCheckpoints(path.resolve(options.outputDir, engine.dir)))[0]?.dir;
    if (newest !== undefined) return newest;
  }
  return undefined;
}

/**
 * Registers the checkpoint `dir` the run will resume from in its container, before `setup()`, so
 * the model factory can build the model from its weights instead of a random init (see PendingResume).
 */
export function announceResume(trainer: Trainer, dir: string | undefined): void {
  if (dir !== undefined) trainer.context.container.registerInstance(PENDING_RESUME, new PendingResume(dir));
}
