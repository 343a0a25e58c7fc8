import * as path from 'path';
import type { Trainer } from '../trainer/trainer';
import { loadCheckedWeights, openCheckedCheckpoint } from './checked-load';
import { MODEL_WEIGHTS_FILE, OPTIMIZER_STATE_FILE } from './checkpoint-layout';
import type { WeightTarget } from './import/gpt-source';
import { skippedSavesNote } from './incomplete-saves';
import { CheckpointLoadPurpose, ResumeCheck } from './resume-check';
import type { TrainerStateFile } from './trainer-state-file';

/** A checkpoint folder checked for a load, with what the recipe changed since its save. */
export interface OpenedCheckpoint {
  /** The checkpoint folder. */
  dir: string;
  /** Its checked trainer state. */
  parsed: TrainerStateFile;
  /** The recipe's changes since the save: explains a failed load, reported once loaded. */
  check: ResumeCheck;
}

/**
 * Checks checkpoint folder `dir` before anything is loaded from it (saves skipped since, every
 * checksum, the files `purpose` reads saved at one step) and compares the recipe with its own.
 */
export async function openCheckpointToLoad(trainer: Trainer, dir: string, purpose: CheckpointLoadPurpose): Promise<OpenedCheckpoint> {
  const skipped = await skippedSavesNote(dir);
  if (skipped !== undefined) trainer.logger.warn(skipped);
  const tensorFiles = purpose === 'resume' ? [MODEL_WEIGHTS_FILE, OPTIMIZER_STATE_FILE] : [MODEL_WEIGHTS_FILE];
  const parsed = await openCheckedCheckpoint(dir, { tensorFiles });
  const check = await ResumeCheck.compare(trainer, dir, parsed, purpose);
  return { dir, parsed, check };
}

/** Run-container token of the {@link PendingResume} of a run that resumes (registered before the model is built). */
export const PENDING_RESUME = Symbol('floe.pendingResume');

/**
 * The checkpoint a run will resume from, known before its model is built, so a model factory can
 * build the model from its weights (the GPT factory does: no random init drawn to be overwritten,
 * each weight held once). The floe engine's load then takes the opened checkpoint from here and
 * assigns the weights only if no factory did. Opened (checksums hashed) once, whoever asks first.
 */
export class PendingResume {
  /** True once a model was built from the checkpoint's weights: the resume does not assign them again. */
  weightsLoaded = false;
  private opening?: Promise<OpenedCheckpoint>;

  constructor(
    /** The checkpoint folder (absolute). */
    readonly dir: string,
  ) {}

  /** The checkpoint, checked for a resume (see {@link openCheckpointToLoad}); the same promise every call. */
  open(trainer: Trainer): Promise<OpenedCheckpoint> {
    this.opening ??= openCheckpointToLoad(trainer, this.dir, 'resume');
    return this.opening;
  }

  /**
   * Assigns the checkpoint's weights to `targets` (every one required, as a resume into a built
   * model requires them), errors explained by the recipe's changes since the save.
   */
  async loadWeights(trainer: Trainer, targets: ReadonlyMap<string, WeightTarget>): Promise<void> {
    const { check } = await this.open(trainer);
    await loadCheckedWeights(targets, this.dir, { explain: (error) => check.explainWeightsError(error) });
  }
}

/** The run's pending resume of checkpoint `dir`, if that is the one registered. */
export function pendingResumeOf(trainer: Trainer, dir: string): PendingResume | undefined {
  const container = trainer.context.container;
  if (!container.isRegistered(PENDING_RESUME)) return undefined;
  const pending = container.resolve<PendingResume>(PENDING_RESUME);
  return path.resolve(pending.dir) === path.resolve(dir) ? pending : undefined;
}
