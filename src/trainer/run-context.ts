import type { DependencyContainer } from 'tsyringe';
import type { BackendInfo } from '../backend/backend-names';
import type { EvalDataFiles } from '../data/eval-data';
import type { Communicator } from '../distributed/communicator';
import { Logger } from '../logging/logger';

/** Run-wide services a trainer and its components reach (never module-level globals). */
export interface RunContext {
  /** The run's child DI container: config, backend, logger and the built components. */
  container: DependencyContainer;
  /** The run's logger. */
  logger: Logger;
  /** The tfjs backend the run started. */
  backend: BackendInfo;
  /** Absolute run folder. */
  outputDir: string;
  /** Folder of the recipe file; relative input paths in the recipe resolve against it. */
  recipeDir: string;
  /** The fully composed recipe as plain data (saved as recipe.resolved.yaml and in checkpoints). */
  resolvedRecipe: Record<string, unknown>;
  /** This run's rank in a data-parallel job (absent when training alone). */
  communicator?: Communicator;
  /**
   * The model is built to run, not to train (`floe generate`, `export`, `evaluate` of a checkpoint):
   * no gradients, optimizer state or backward pass, so the wasm memory check counts its weights
   * and an inference forward only.
   */
  inference?: boolean;
  /**
   * Rows of the largest forward a model built to run makes, when not `microBatchSize`: 1 for
   * `floe generate` (one prompt at a time) and `export` (no forward), so the wasm memory check
   * does not count a training micro-batch's rows. `floe evaluate` leaves it unset (it evaluates micro-batches).
   */
  inferenceRows?: number;
  /**
   * Only the model is built, from a checkpoint (`floe generate`, `export`): the trainer's `setup()`
   * never runs, so what it would hold beside the model (`Trainer.memoryNeeds`: DPO's reference
   * copy, its pair rows) is neither built nor counted by the memory check. `floe evaluate` leaves it unset.
   */
  modelOnly?: boolean;
  /** Files to evaluate whole (`floe evaluate --data`): the data factory reads them as `data.sources` would, every record into the eval loader, no train split. */
  evalData?: EvalDataFiles;
}

/** Injection tokens of the run container. */
export const TOKENS = {
  /** The validated `TrainerConfig`. */
  config: 'floe.config',
  /** The run's `Logger`. */
  logger: 'floe.logger',
  /** The `BackendInfo` of the started backend. */
  backend: 'floe.backend',
  /** The `RunContext`. */
  context: 'floe.context',
  /** The `Trainer`. */
  trainer: 'floe.trainer',
  /** The built `Tokenizer`. */
  tokenizer: 'floe.tokenizer',
  /** The built model. */
  model: 'floe.model',
  /** The built optimizer. */
  optimizer: 'floe.optimizer',
  /** The built learning-rate schedule. */
  scheduler: 'floe.scheduler',
} as const;
