import type { DependencyContainer } from 'tsyringe';
import type { BackendInfo } from '../backend/backend-names';
import type { Communicator } from '../distributed/communicator';
import { Logger } from '../logging/logger';

/** Run-wide services a trainer and its components reach (never module-level globals). */
export interface RunContext {
  /** The run's child DI container: config, backend, logger and the built components. */
  container: DependencyContainer;
  logger: Logger;
  backend: BackendInfo;
  /** Absolute run folder. */
  outputDir: string;
  /** Folder of the recipe file; relative input paths in the recipe resolve against it. */
  recipeDir: string;
  /** The fully composed recipe as plain data (saved as recipe.resolved.yaml and in checkpoints). */
  resolvedRecipe: Record<string, unknown>;
  /** This run's rank in a data-parallel job (absent when training alone). */
  communicator?: Communicator;
}

/** Injection tokens of the run container. */
export const TOKENS = {
  config: 'floe.config',
  logger: 'floe.logger',
  backend: 'floe.backend',
  context: 'floe.context',
  trainer: 'floe.trainer',
  tokenizer: 'floe.tokenizer',
  model: 'floe.model',
  optimizer: 'floe.optimizer',
  scheduler: 'floe.scheduler',
} as const;
