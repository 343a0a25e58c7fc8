import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { container as rootContainer } from 'tsyringe';
import type { BackendInfo, ConcreteBackendName } from '../backend/backend-names';
import { isPlainObject } from '../config/compose';
import { Logger } from '../logging/logger';
import type { FloeModel } from '../model/floe-model';
import { MODEL_KIND, ModelFactory } from '../model/model-factory';
import type { Tokenizer } from '../tokenizer/tokenizer';
import { TOKENIZER_KIND, TokenizerFactory } from '../tokenizer/tokenizer-factory';
import { chatTemplateChangeNote, checkTokenizerIdentity, TOKENIZER_IDENTITY_FILE } from '../tokenizer/tokenizer-identity';
import { buildComponent } from '../trainer/build-components';
import type { RunContext } from '../trainer/run-context';
import { hasInferenceSetup } from '../trainer/inference-setup';
import type { Trainer } from '../trainer/trainer';
import type { TrainerConfig } from '../trainer/trainer-config';
import { loadCheckedWeights, openCheckedCheckpoint } from './checked-load';
import { readExtraCheckpointFiles } from './extra-checkpoint-files';
import { MODEL_WEIGHTS_FILE } from './checkpoint-layout';
import { readCheckpointRecipe } from './checkpoint-recipe';
import { asCheckpointRecipe, validateCheckpointRecipe } from './validate-checkpoint-recipe';
import { resolveCheckpointDir } from './resolve-checkpoint-dir';
import { skippedSavesNote } from './incomplete-saves';
import { readModelConfigFile } from './model-config-file';
import { openFloeGptSource } from './import/floe-gpt-source';
import { CHECKED_GPT_SOURCE } from './import/gpt-source';

/** A checkpoint's model and tokenizer, ready for inference or export. */
export interface LoadedCheckpointModel {
  /** The checkpoint folder loaded. */
  dir: string;
  /** Optimizer step the checkpoint was written at. */
  step: number;
  /** The checkpoint's recipe, validated. */
  config: TrainerConfig;
  /** A trainer built from the recipe but not set up (no data, optimizer or engines). */
  trainer: Trainer;
  /** The checkpoint's tokenizer. */
  tokenizer: Tokenizer;
  /** The model, with the checkpoint's weights. */
  model: FloeModel;
  /** Frees the model's weights. */
  dispose(): void;
}

/** Options of {@link loadCheckpointModel}. */
export interface LoadCheckpointModelOptions {
  /** Logger handed to the components (default: warnings only). */
  logger?: Logger;
}

/**
 * Builds the tokenizer and model a checkpoint's `recipe.yaml` describes and loads the
 * checkpoint's weights — no data, optimizer or training. Used by `floe export` (and for
 * generation). `target` may be a checkpoint folder, a folder of `step-N` checkpoints or a run
 * folder (newest checkpoint). Checksums are verified first. Relative paths in the recipe (an `hf`
 * tokenizer, data files) resolve against the folder of the recipe the run was started from, as
 * recorded in `trainer-state.json` (see `savedRecipeDir`). A model the recipe loaded `from:` elsewhere is rebuilt from
 * the checkpoint itself. Does not start a backend: call `initBackend` first.
 */
export async function loadCheckpointModel(target: string, options: LoadCheckpointModelOptions = {}): Promise<LoadedCheckpointModel> {
  const dir = await resolveCheckpointDir(target);
  const logger = options.logger ?? new Logger({ level: 'warn' });
  const skipped = await skippedSavesNote(dir);
  if (skipped !== undefined) logger.warn(skipped);
  // The same checks as a resume makes of the files it reads (no optimizer state here).
  const state = await openCheckedCheckpoint(dir, { tensorFiles: [MODEL_WEIGHTS_FILE] });
  const { recipe, recipeDir } = await readCheckpointRecipe(dir, state);
  const model = recipe.model;
  // A model the recipe loaded `from:` elsewhere is rebuilt from the checkpoint itself; so is any
  // GPT the checkpoint describes: built from its weights, it draws no random init to overwrite.
  const isGpt = (await readModelConfigFile(dir))?.type === 'gpt';
  const fromSelf = isPlainObject(model) && (model.from !== undefined || (model.type === 'gpt' && isGpt));
  if (fromSelf) (model as Record<string, unknown>).from = dir;
  const resolved = await validateCheckpointRecipe(dir, recipe, recipeDir);
  const backend: BackendInfo = { name: tf.getBackend() as ConcreteBackendName, requested: tf.getBackend() as ConcreteBackendName, threads: 1, kernelOverrides: [] };
  const context: RunContext = {
    container: rootContainer.createChildContainer(),
    logger,
    backend,
    outputDir: path.dirname(path.dirname(dir)),
    recipeDir,
    resolvedRecipe: resolved.resolved,
    inference: true,
    // One prompt at a time (generate), no forward at all (export): not the recipe's micro-batch.
    inferenceRows: 1,
    // The trainer's setup() never runs here: no DPO reference copy is built, nor counted.
    modelOnly: true,
  };
  // Checked above: the model factory takes it rather than hashing every file of the folder again.
  if (fromSelf && isGpt) context.container.registerInstance(CHECKED_GPT_SOURCE, await openFloeGptSource(dir, { checked: true }));
  const TrainerClass = resolved.trainerClass as unknown as new (c: TrainerConfig, ctx: RunContext) => Trainer;
  const trainer = new TrainerClass(resolved.config, context);
  trainer.tokenizer = await asCheckpointRecipe(dir, recipeDir, () => buildComponent<TokenizerFactory>(trainer, TOKENIZER_KIND).createTokenizer());
  const { [TOKENIZER_IDENTITY_FILE]: identity } = await readExtraCheckpointFiles(dir, [TOKENIZER_IDENTITY_FILE]);
  checkTokenizerIdentity(identity, trainer.tokenizer, { type: resolved.config.tokenizer.type, checkpoint: `checkpoint ${dir}`, file: path.join(dir, TOKENIZER_IDENTITY_FILE) });
  // Prompts of `floe generate --chat` are rendered with the template the tokenizer's files hold now.
  if ((resolved.config.data as { chatTemplate?: unknown }).chatTemplate === 'tokenizer') {
    const changed = chatTemplateChangeNote(identity, trainer.tokenizer, `checkpoint ${dir}`);
    if (changed !== undefined) logger.warn(changed);
  }
  if (hasInferenceSetup(trainer)) {
    // Its model's shape comes from files saved with the checkpoint (a data schema), not the recipe.
    await trainer.setupForInference(dir, await readExtraCheckpointFiles(dir, trainer.inferenceFiles));
  } else {
    trainer.model = await buildComponent<ModelFactory>(trainer, MODEL_KIND).createModel();
    if (!fromSelf) await loadModelWeights(trainer.model, dir);
  }
  return {
    dir,
    step: state.state.globalStep,
    config: resolved.config,
    trainer,
    tokenizer: trainer.tokenizer,
    model: trainer.model,
    dispose: () => {
      trainer.model.dispose();
      // A supervised trainer also holds its normalization tensors (they leaked before).
      if (hasInferenceSetup(trainer)) trainer.disposeInference?.();
      context.container.clearInstances();
    },
  };
}

/** Assigns the weights of checkpoint `dir` to `model` (checked), disposing the model if they do not load. */
async function loadModelWeights(model: FloeModel, dir: string): Promise<void> {
  try {
    await loadCheckedWeights(model.params, dir);
  } catch (error) {
    model.dispose();
    throw error;
  }
}
