import * as fs from 'fs/promises';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../errors';
import { assignWeights } from './assign-weights';
import type { WeightTarget } from './import/gpt-source';
import { MODEL_WEIGHTS_FILE, OPTIMIZER_STATE_FILE, RECIPE_FILE, TRAINER_STATE_FILE } from './checkpoint-layout';
import { readSafetensorsTensors } from './formats/read-safetensors-tensors';
import { readModelConfigFile } from './model-config-file';
import { listNames, nonFiniteTensors } from './non-finite-values';
import { checkSavedStep } from './saved-step-check';
import { TrainerStateFile, readTrainerStateFile } from './trainer-state-file';
import { newestCheckpointBefore, verifyCheckpoint } from './verify-checkpoint';

// The checks every load of a floe checkpoint makes, whatever reads it: --resume, floe evaluate,
// floe predict, floe export, floe generate and model.from. One place, so no loader skips one.

/** What each file a load reads holds, for the message when one is missing. */
const LOADED_FILES: Record<string, string> = {
  [TRAINER_STATE_FILE]: 'step, data position, RNG',
  [MODEL_WEIGHTS_FILE]: 'weights',
  [OPTIMIZER_STATE_FILE]: 'optimizer state, read to resume',
};

/** Options of {@link openCheckedCheckpoint}. */
export interface OpenCheckedCheckpointOptions {
  /**
   * The safetensors files the load reads: `model.safetensors`, plus `optimizer.safetensors` to
   * resume. Each must be there and saved at the trainer state's step.
   */
  tensorFiles: readonly string[];
}

/**
 * Checks floe checkpoint folder `dir` before anything is loaded from it: every checksum in its
 * manifest (which must list every file a load reads), `trainer-state.json` and `tensorFiles`
 * present, the trainer state (and `model-config.json`, when there) of a format and version this
 * Floe reads, and each of `tensorFiles` saved at its step (not copied in
 * from another checkpoint folder).
 * @returns the checked trainer state.
 * @throws CheckpointError naming the file, what is wrong and the checkpoint before it.
 */
export async function openCheckedCheckpoint(dir: string, options: OpenCheckedCheckpointOptions): Promise<TrainerStateFile> {
  await verifyCheckpoint(dir);
  await checkHasFiles(dir, [TRAINER_STATE_FILE, ...options.tensorFiles]);
  const parsed = await readTrainerStateFile(dir);
  // Not read by a resume, but a newer Floe's (or another kind of) model-config.json means the save is not one this Floe wrote.
  await readModelConfigFile(dir);
  for (const file of options.tensorFiles) await checkSavedStep(dir, file, parsed.state.globalStep);
  return parsed;
}

/**
 * Whether folder `dir` holds a training checkpoint (any of trainer state, optimizer state or
 * recipe) rather than a weights-only export: one whose trainer state went missing still counts,
 * so it is refused as incomplete instead of loading unchecked as an export.
 */
export async function isTrainingCheckpoint(dir: string): Promise<boolean> {
  for (const name of [TRAINER_STATE_FILE, OPTIMIZER_STATE_FILE, RECIPE_FILE]) if (await isFile(path.join(dir, name))) return true;
  return false;
}

/** Options of {@link loadCheckedWeights}. */
export interface LoadCheckedWeightsOptions {
  /** Turns an error of the weights not fitting the model into a clearer one (a resume's recipe changes). */
  explain?: (error: unknown) => unknown;
  /** Parameters the file may lack (a model's new LoRA factors, when starting `from` a base model). */
  optional?: ReadonlySet<string>;
}

/**
 * Assigns the weights of checkpoint (or export) folder `dir` to `params` by name: each must be
 * there, of the model's shape and a float dtype for a float weight, and finite.
 * @throws CheckpointError naming the file and the tensors.
 */
export async function loadCheckedWeights(params: ReadonlyMap<string, WeightTarget>, dir: string, options: LoadCheckedWeightsOptions = {}): Promise<void> {
  const file = path.join(dir, MODEL_WEIGHTS_FILE);
  const weights = await readSafetensorsTensors(file);
  let nonFinite: string[];
  try {
    assignWeights(params, weights, file, { optional: options.optional });
    nonFinite = await nonFiniteTensors(weights);
  } catch (error) {
    throw options.explain === undefined ? error : options.explain(error);
  } finally {
    tf.dispose([...weights.values()]);
  }
  if (nonFinite.length > 0) throw await nonFiniteError(`${file} holds NaN or infinite values, in ${listNames(nonFinite)}`, dir);
}

/** Weights with NaN or infinite values `what`: damage, with the way out (the checkpoint before it). */
export async function nonFiniteError(what: string, dir: string): Promise<CheckpointError> {
  const older = await newestCheckpointBefore(dir);
  const other = older === undefined ? 'another checkpoint' : `another checkpoint (the newest before it is ${older.dir})`;
  return new CheckpointError(`${what}. A run never saves them (nonFinite: stop ends it first, skip keeps the last finite weights), so the file is damaged or was edited by hand: use ${other}.`);
}

async function isFile(file: string): Promise<boolean> {
  return fs.stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * Throws when checkpoint `dir` lacks one of `needed`. The manifest passes such a folder when it
 * was rebuilt without the file.
 */
async function checkHasFiles(dir: string, needed: readonly string[]): Promise<void> {
  const missing: string[] = [];
  for (const name of needed) if (!(await isFile(path.join(dir, name)))) missing.push(name);
  if (missing.length === 0) return;
  const older = await newestCheckpointBefore(dir);
  const holds = Object.entries(LOADED_FILES).map(([name, what]) => `${name} (${what})`).join(', ');
  throw new CheckpointError(
    `Checkpoint '${dir}' has no ${missing.join(', ')}, and its manifest does not list ${missing.length === 1 ? 'it' : 'them'} either. A floe checkpoint holds ${holds}: ` +
      `use ${older === undefined ? 'another checkpoint' : `another checkpoint (the newest before it is ${older.dir})`}.`,
  );
}
