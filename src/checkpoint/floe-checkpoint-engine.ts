import * as fs from 'fs/promises';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, ValidateNested } from 'class-validator';
import { stringify as toYaml } from 'yaml';
import { CheckpointError } from '../errors';
import { HumanNumber, IsCount } from '../config/human-number';
import { register } from '../registry/register';
import { TrainerState } from '../trainer/trainer-state';
import { CheckpointConfig, CheckpointEngine, SaveReason } from './checkpoint-engine';
import { readSafetensorsTensors } from './formats/read-safetensors-tensors';
import { writeSafetensors } from './formats/write-safetensors';
import { atomicWriteFile } from './io/atomic-write-file';
import { verifyManifest } from './io/verify-manifest';
import { writeDirAtomically } from './io/write-dir-atomically';
import { writeManifest } from './io/write-manifest';
import { assignWeights } from './assign-weights';
import { readExtraCheckpointFiles, writeExtraCheckpointFiles } from './extra-checkpoint-files';
import { findCheckpoints } from './find-checkpoints';

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

/** Trainer state file inside a checkpoint. */
interface TrainerStateFile {
  format: 'floe-trainer-state';
  version: 1;
  state: TrainerState;
  /** Metric values at save time (for keepBest). */
  metrics: Record<string, number>;
}

/**
 * Floe's own checkpoints: model weights and optimizer state (by variable name) in safetensors,
 * trainer state (step, epoch, data position, RNG), the resolved recipe and a manifest of
 * checksums — written to a temp folder and renamed into place, so a crash mid-save never leaves
 * a half checkpoint that looks complete.
 */
@register()
export class FloeCheckpointEngine extends CheckpointEngine<FloeCheckpointConfig> {
  static override readonly type = 'floe';
  static override readonly configType = FloeCheckpointConfig;

  /** Folder holding this engine's `step-NNNNNN` checkpoints. */
  get root(): string {
    return path.resolve(this.trainer.context.outputDir, this.config.dir ?? 'checkpoints');
  }

  async save(_reason: SaveReason): Promise<string> {
    const t = this.trainer;
    const dir = path.join(this.root, `step-${String(t.globalStep).padStart(6, '0')}`);
    await fs.mkdir(this.root, { recursive: true });
    await fs.rm(dir, { recursive: true, force: true });
    await writeDirAtomically(dir, async (tmp) => {
      await writeSafetensors(path.join(tmp, 'model.safetensors'), t.model.params, { metadata: { format: 'floe', step: String(t.globalStep) } });
      const optimizerState = t.optimizer.getState();
      try {
        await writeSafetensors(path.join(tmp, 'optimizer.safetensors'), optimizerState);
      } finally {
        tf.dispose([...optimizerState.values()]);
      }
      const stateFile: TrainerStateFile = { format: 'floe-trainer-state', version: 1, state: { ...t.state, rng: t.rng.getState() }, metrics: { ...t.lastMetrics } };
      await atomicWriteFile(path.join(tmp, 'trainer-state.json'), `${JSON.stringify(stateFile, null, 2)}\n`);
      await writeExtraCheckpointFiles(tmp, t.extraCheckpointFiles());
      await atomicWriteFile(path.join(tmp, 'recipe.yaml'), toYaml(t.context.resolvedRecipe));
      await writeManifest(tmp);
    });
    await this.prune(dir);
    return dir;
  }

  /** Loads weights, optimizer state and trainer state from `dir`, verifying checksums first. */
  async load(dir: string): Promise<void> {
    await verifyManifest(dir);
    const t = this.trainer;
    const weights = await readSafetensorsTensors(path.join(dir, 'model.safetensors'));
    try {
      assignWeights(t.model.params, weights, path.join(dir, 'model.safetensors'));
    } finally {
      tf.dispose([...weights.values()]);
    }
    const optimizerState = await readSafetensorsTensors(path.join(dir, 'optimizer.safetensors'));
    try {
      t.optimizer.setState(optimizerState);
    } finally {
      tf.dispose([...optimizerState.values()]);
    }
    const stateFile = path.join(dir, 'trainer-state.json');
    let parsed: TrainerStateFile;
    try {
      parsed = JSON.parse(await fs.readFile(stateFile, 'utf8')) as TrainerStateFile;
    } catch (error) {
      throw new CheckpointError(`Cannot read ${stateFile}: ${(error as Error).message}`);
    }
    if (parsed.format !== 'floe-trainer-state') throw new CheckpointError(`${stateFile} is not a Floe trainer state file`);
    t.restoreState(parsed.state);
    t.restoreExtraCheckpointFiles(await readExtraCheckpointFiles(dir, Object.keys(t.extraCheckpointFiles())));
    t.lastCheckpointPath = dir;
    this.lastSavedStep = parsed.state.globalStep;
  }

  /** The newest complete checkpoint folder, if any. */
  async latest(): Promise<string | undefined> {
    return (await findCheckpoints(this.root))[0]?.dir;
  }

  /** Deletes checkpoints beyond keepLast, never the newest or the best. */
  private async prune(newest: string): Promise<void> {
    const keepLast = this.config.keepLast;
    if (keepLast === undefined) return;
    const all = await findCheckpoints(this.root);
    const keep = new Set(all.slice(0, keepLast).map((c) => c.dir));
    keep.add(newest);
    const best = this.config.keepBest;
    if (best !== undefined) {
      let bestDir: string | undefined;
      let bestValue = best.mode === 'min' ? Infinity : -Infinity;
      for (const c of all) {
        const value = await readMetric(c.dir, best.metric);
        if (value !== undefined && (best.mode === 'min' ? value < bestValue : value > bestValue)) {
          bestValue = value;
          bestDir = c.dir;
        }
      }
      if (bestDir !== undefined) keep.add(bestDir);
    }
    for (const c of all) if (!keep.has(c.dir)) await fs.rm(c.dir, { recursive: true, force: true });
  }
}

async function readMetric(dir: string, metric: string): Promise<number | undefined> {
  try {
    const parsed = JSON.parse(await fs.readFile(path.join(dir, 'trainer-state.json'), 'utf8')) as TrainerStateFile;
    const v = parsed.metrics?.[metric];
    return typeof v === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}
