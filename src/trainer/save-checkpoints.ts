import type { SaveReason } from '../checkpoint/checkpoint-engine';
import type { Trainer } from './trainer';

/**
 * Saves through every engine of `trainer` that wants to for `reason` and has not saved this step;
 * returns the last folder written. `lastCheckpointPath` follows the resumable (floe) checkpoints,
 * which `--resume` takes; when no engine writes resumable ones it names the newest export.
 */
export async function saveThroughEngines(trainer: Trainer, reason: SaveReason): Promise<string | undefined> {
  let saved: string | undefined;
  trainer.state.rng = trainer.rng.getState();
  for (const engine of trainer.checkpointEngines) {
    if (engine.lastSavedStep === trainer.state.globalStep || !engine.shouldSave(reason)) continue;
    saved = await engine.save(reason);
    engine.lastSavedStep = trainer.state.globalStep;
    if (engine.resumable || !trainer.checkpointEngines.some((e) => e.resumable)) trainer.lastCheckpointPath = saved;
    await trainer.callbackList.save(saved);
  }
  return saved;
}
