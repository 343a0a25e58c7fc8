import * as fs from 'fs/promises';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, ValidateNested } from 'class-validator';
import { stringify as toYaml } from 'yaml';
import { HumanNumber, IsCount } from '../config/human-number';
import { CheckpointError, FloeError } from '../errors';
import { NamedStateOptimizer } from '../optim/named-state-optimizer';
import { OptimizerStateError } from '../optim/optimizer-state-error';
import { register } from '../registry/register';
import { CheckpointConfig, CheckpointEngine, SaveReason } from './checkpoint-engine';
import { MODEL_WEIGHTS_FILE, OPTIMIZER_STATE_FILE, RECIPE_FILE, TRAINER_STATE_FILE, stepDirName } from './checkpoint-layout';
import { readSafetensorsTensors } from './formats/read-safetensors-tensors';
import { writeSafetensors } from './formats/write-safetensors';
import { atomicWriteFile } from './io/atomic-write-file';
import { makeFolder } from './io/make-folder';
import { writeDirAtomically } from './io/write-dir-atomically';
import { writeManifest } from './io/write-manifest';
import { loadCheckedWeights } from './checked-load';
import { openCheckpointToLoad, pendingResumeOf } from './pending-resume';
import { readExtraCheckpointFiles, writeExtraCheckpointFiles } from './extra-checkpoint-files';
import { findCheckpoints } from './find-checkpoints';
import { findIncompleteSaves } from './incomplete-saves';
import { newestCheckpointBefore } from './verify-checkpoint';
import { writeModelConfigFile } from './model-config-file';
import { listNames, nonFiniteTensors } from './non-finite-values';
import { missingExtraFilesNote } from './missing-extra-files';
import { checkOptimizerStep } from './optimizer-step-check';
import { pruneCheckpoints } from './prune-checkpoints';
import { resolveCheckpointDir } from './resolve-checkpoint-dir';
import { CheckpointLoadPurpose, ResumeCheck } from './resume-check';

export type { CheckpointLoadPurpose } from './resume-check';
import { runShapeOf } from './saved-run-shape';
import { savedStepMetadata } from './saved-step-check';
import { saveError } from './save-error';
import { removeStaleTempDirs } from './stale-temp-dirs';
import { TrainerStateFile } from './trainer-state-file';

/** Keep the best checkpoints by an evaluation metric. */
export class KeepBestConfig {
  /** Metric to rank by, e.g. `eval/loss`. */
  @IsString()
  metric = 'eval/loss';

  /** `min` keeps the lowest values, `max` the highest. */
  @IsIn(['min', 'max'])
  mode: 'min' | 'max' = 'min';
}

/** Config of the `floe` engine: full, resumable checkpoints. */
export class FloeCheckpointConfig extends CheckpointConfig {
  /** Keep only the newest N checkpoints (plus the best one, if keepBest is set); unset keeps all. */
  @IsOptional()
  @HumanNumber()
  @IsCount({ min: 1 })
  keepLast?: number;

  /** Also keep the checkpoint with the best value of a metric. */
  @IsOptional()
  @ValidateNested()
  @Type(() => KeepBestConfig)
  keepBest?: KeepBestConfig;

  /** Resume from the newest complete checkpoint in this engine's folder, if there is one. */
  @IsBoolean()
  autoResume = false;
}

/**
 * Floe's own checkpoints, one folder `step-NNNNNN` per save:
 * `model.safetensors` (weights by name), `optimizer.safetensors` (state by variable name and the
 * step counts), `trainer-state.json` (global step, epoch, position in the epoch's data order, RNG,
 * scheduler position, best metric), `recipe.yaml` (the resolved recipe), `model-config.json`
 * (architecture), the trainer's extra files, and `manifest.json` with every file's sha256. The
 * folder is written under a hidden temp name and renamed into place, so a crash mid-save never
 * leaves a half checkpoint that looks complete; loading verifies every checksum first.
 */
@register()
export class FloeCheckpointEngine extends CheckpointEngine<FloeCheckpointConfig> {
  static override readonly type: string = 'floe';
  static override readonly configType = FloeCheckpointConfig;
  static override readonly defaultDir: string = 'checkpoints';
  override readonly resumable: boolean = true;
  private warnedMissingMetric = false;

  /** Folder holding this engine's `step-NNNNNN` checkpoints. */
  get root(): string {
    return path.resolve(this.trainer.context.outputDir, this.config.dir ?? (this.constructor as typeof FloeCheckpointEngine).defaultDir);
  }

  async save(_reason: SaveReason): Promise<string> {
    const t = this.trainer;
    const dir = path.join(this.root, stepDirName(t.globalStep));
    await makeFolder(this.root);
    await removeStaleTempDirs(this.root);
    this.updateBestMetric();
    // overwrite: a checkpoint of the same step (a rerun) is replaced whole, never deleted first.
    await writeDirAtomically(
      dir,
      async (tmp) => {
        await this.writeContents(tmp);
        await writeManifest(tmp);
      },
      { overwrite: true },
    ).catch(async (error: unknown) => Promise.reject(await saveError(error, { dir, step: t.globalStep, setting: `checkpoint[${t.checkpointEngines.indexOf(this)}]` })));
    const keepBest = this.config.keepBest;
    await pruneCheckpoints(this.root, { newest: dir, keepLast: this.config.keepLast, keepBest: keepBest === undefined ? undefined : { ...keepBest, read: readMetric } });
    return dir;
  }

  /**
   * Writes the checkpoint's files into the temp folder `tmp` (the manifest is added after).
   * Subclasses may add files; they end up in the manifest too.
   */
  protected async writeContents(tmp: string): Promise<void> {
    const t = this.trainer;
    const metadata = savedStepMetadata(t.globalStep);
    await writeSafetensors(path.join(tmp, MODEL_WEIGHTS_FILE), t.model.params, { metadata });
    const optimizerState = t.optimizer.getState();
    try {
      await writeSafetensors(path.join(tmp, OPTIMIZER_STATE_FILE), optimizerState, { metadata });
    } finally {
      tf.dispose([...optimizerState.values()]);
    }
    const stateFile: TrainerStateFile = {
      format: 'floe-trainer-state',
      version: 1,
      state: { ...t.state, rng: t.rng.getState() },
      metrics: { ...t.lastMetrics },
      scheduler: { step: t.globalStep, lastLr: t.lr },
      recipeDir: t.context.recipeDir,
      run: runShapeOf(t),
    };
    await atomicWriteFile(path.join(tmp, TRAINER_STATE_FILE), `${JSON.stringify(stateFile, null, 2)}\n`);
    await writeExtraCheckpointFiles(tmp, t.extraCheckpointFiles());
    await atomicWriteFile(path.join(tmp, RECIPE_FILE), toYaml(t.context.resolvedRecipe));
    await writeModelConfigFile(tmp, t.model, t.config.model.type);
  }

  /**
   * Loads weights, optimizer state and trainer state from `target`: a checkpoint folder, or a
   * folder of `step-N` checkpoints or a run folder (its newest complete one). Every checksum in the
   * manifest is verified first, so a corrupted or truncated file is an error naming it, never a
   * silent load. With `purpose: 'evaluate'` the optimizer state is left alone (the recipe's
   * optimizer may differ) and only changes that affect an evaluation are reported.
   */
  async load(target: string, options: { purpose?: CheckpointLoadPurpose } = {}): Promise<void> {
    const purpose = options.purpose ?? 'resume';
    // A run folder's checkpoints are in this engine's dir, which may not be `checkpoints`.
    const dir = await resolveCheckpointDir(target, { checkpointDirs: [this.config.dir ?? (this.constructor as typeof FloeCheckpointEngine).defaultDir] });
    const t = this.trainer;
    // A resume's checkpoint may have been opened before the model was built, which then took its weights.
    const pending = purpose === 'resume' ? pendingResumeOf(t, dir) : undefined;
    // What the recipe changed since the save: explains a failed load, and is reported once loaded.
    const { parsed, check } = pending === undefined ? await openCheckpointToLoad(t, dir, purpose) : await pending.open(t);
    if (pending?.weightsLoaded !== true) await loadCheckedWeights(t.model.params, dir, { explain: (error) => check.explainWeightsError(error) });
    if (purpose === 'resume') await this.loadOptimizerState(path.join(dir, OPTIMIZER_STATE_FILE), check, parsed.state.globalStep);
    t.restoreState(parsed.state);
    Object.assign(t.lastMetrics, parsed.metrics);
    const extraNames = Object.keys(t.extraCheckpointFiles());
    const extra = await readExtraCheckpointFiles(dir, extraNames);
    const absent = extraNames.filter((name) => !(name in extra));
    // Older checkpoints lack files added since, so a missing one loads; said, since what it checks or restores is skipped.
    if (absent.length > 0 && t.dp.isMain) t.logger.warn(missingExtraFilesNote(dir, absent));
    try {
      t.restoreExtraCheckpointFiles(extra);
    } catch (error) {
      // The trainer checks its files by name only: say which checkpoint they are in.
      if (error instanceof FloeError) throw new CheckpointError(`Checkpoint '${dir}': ${error.message}`, { cause: error });
      throw error;
    }
    t.lastCheckpointPath = dir;
    this.lastSavedStep = parsed.state.globalStep;
    check.report();
    if (purpose === 'resume') await this.warnNewerCheckpoints(dir, parsed.state.globalStep);
  }

  /**
   * Resuming from an older checkpoint of this engine's own folder: the newer ones there come from
   * a run that went further. They are kept (pruning skips them), but a resume from the run folder
   * would pick them over this run's checkpoints until this run saves past them.
   */
  private async warnNewerCheckpoints(dir: string, step: number): Promise<void> {
    if (!this.trainer.dp.isMain || path.resolve(path.dirname(dir)) !== this.root) return;
    const newer = (await findCheckpoints(this.root)).filter((c) => c.step > step).reverse();
    if (newer.length === 0) return;
    const names = newer.map((c) => path.basename(c.dir)).join(', ');
    this.trainer.logger.warn(
      `resuming from ${path.basename(dir)}, but ${path.relative(process.cwd(), this.root) || '.'} also holds newer checkpoints of a run that went further: ${names}. ` +
        `keepLast does not prune them, and this run replaces each when it saves that step; until then --resume with the run folder or autoResume would pick them, ` +
        `not this run's checkpoints. Move them out of the folder to keep both runs apart.`,
    );
  }

  private async loadOptimizerState(file: string, check: ResumeCheck, globalStep: number): Promise<void> {
    const state = await readSafetensorsTensors(file);
    try {
      const bad = await nonFiniteTensors(state);
      if (bad.length > 0) throw new OptimizerStateError(`Optimizer state holds NaN or infinite values, in ${listNames(bad)}; a run never saves them.`);
      // Its step count means updates made only for Floe's own optimizers; a plugin's may count otherwise.
      if (this.trainer.optimizer instanceof NamedStateOptimizer) await checkOptimizerStep(state, { globalStep, trainerStateFile: path.join(path.dirname(file), TRAINER_STATE_FILE) });
      // A changed `freeze:` list: frozen parameters keep no state, newly trainable ones start fresh.
      const fitted = this.trainer.frozenParams.fitOptimizerState(state);
      this.trainer.optimizer.setState(fitted.state, { params: this.trainer.model.params });
      if (fitted.note !== undefined && this.trainer.dp.isMain) this.trainer.logger.info(fitted.note);
    } catch (error) {
      // State its optimizer could not have written: point to the checkpoint before this one.
      const older = error instanceof OptimizerStateError ? await newestCheckpointBefore(path.dirname(file)) : undefined;
      throw check.explainOptimizerError(error, file, { older: older?.dir });
    } finally {
      tf.dispose([...state.values()]);
    }
  }

  /**
   * The newest complete checkpoint folder, if any. With none, saves that never finished (a run
   * killed during its first save) are reported, so autoResume's fresh start is not a silent one.
   */
  async latest(): Promise<string | undefined> {
    const newest = (await findCheckpoints(this.root))[0]?.dir;
    if (newest !== undefined || !this.trainer.dp.isMain) return newest;
    const incomplete = await findIncompleteSaves(this.root);
    if (incomplete.length > 0) {
      const where = path.relative(process.cwd(), this.root) || '.';
      this.trainer.logger.warn(`no complete checkpoint to resume from in ${where}, only incomplete saves (no manifest.json): ${incomplete.map((s) => s.name).join(', ')}; starting from step 0`);
    }
    return undefined;
  }

  /** Records a new best value of the keepBest metric in the trainer state (saved with it). */
  private updateBestMetric(): void {
    const best = this.config.keepBest;
    if (best === undefined) return;
    const value = this.trainer.lastMetrics[best.metric];
    if (value === undefined) this.warnMissingMetric(best.metric);
    if (typeof value !== 'number' || !Number.isFinite(value)) return;
    const current = this.trainer.state.bestMetric;
    if (current === undefined || (best.mode === 'min' ? value < current : value > current)) this.trainer.state.bestMetric = value;
  }

  /** Once, when an evaluation ran without the keepBest metric (a typo would otherwise keep no best checkpoint, silently). */
  private warnMissingMetric(metric: string): void {
    const t = this.trainer;
    const evaluated = Object.keys(t.lastMetrics).filter((k) => k.startsWith('eval/'));
    const noEvalSplit = t.evalLoader === undefined && metric.startsWith('eval/');
    if (this.warnedMissingMetric || (evaluated.length === 0 && !noEvalSplit)) return;
    this.warnedMissingMetric = true;
    const at = `checkpoint[${t.checkpointEngines.indexOf(this)}].keepBest.metric`;
    const why = noEvalSplit ? 'there is no eval split (see data.trainEvalSplit), so it is never measured' : `evaluation has no metric '${metric}' (it has: ${evaluated.join(', ')})`;
    t.logger.warn(`${at}: ${why}; no checkpoint is kept as the best`);
  }
}

async function readMetric(dir: string, metric: string): Promise<number | undefined> {
  try {
    const parsed = JSON.parse(await fs.readFile(path.join(dir, TRAINER_STATE_FILE), 'utf8')) as TrainerStateFile;
    const v = parsed.metrics?.[metric];
    return typeof v === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}
