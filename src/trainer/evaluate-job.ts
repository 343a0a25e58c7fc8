import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../backend/init-backend';
import type { Metrics } from '../callbacks/callback';
import { FloeCheckpointConfig, FloeCheckpointEngine } from '../checkpoint/floe-checkpoint-engine';
import { RecipeOptions, validateRecipe } from '../config/validate-recipe';
import { ConfigError } from '../errors';
import { Logger, type LoggerOptions } from '../logging/logger';
import { buildRunTrainer } from './build-run-trainer';

/** Options of {@link evaluateJob}. */
export interface EvaluateJobOptions extends RecipeOptions {
  /** The checkpoint to evaluate: a checkpoint folder, a folder of them, or a run folder (its newest). */
  checkpoint: string;
  /** Logger (default: a new one printing to `logSink`, quiet when the recipe says so). */
  logger?: Logger;
  /** Where the default logger prints. */
  logSink?: LoggerOptions['sink'];
}

/** What {@link evaluateJob} measured. */
export interface EvaluationResult {
  /** The checkpoint folder evaluated. */
  checkpoint: string;
  /** Its optimizer step. */
  step: number;
  /** The trainer's eval metrics (`eval/loss`, and e.g. `eval/exact_match` or `eval/accuracy`). */
  metrics: Metrics;
}

/**
 * Evaluates a checkpoint on a recipe's eval split, as training evaluates (dropout off, the same
 * metrics), without training and without writing to any run folder: the recipe builds the trainer
 * and its data, the checkpoint gives the weights and what the run saved beside them (a supervised
 * model's normalization). The optimizer state is not loaded, so the recipe's optimizer need not
 * match. One process; `distributed:` does not apply.
 */
export async function evaluateJob(recipe: string | Record<string, unknown>, options: EvaluateJobOptions): Promise<EvaluationResult> {
  const resolved = await validateRecipe(recipe, options);
  const { config } = resolved;
  const logger = options.logger ?? new Logger({ level: config.quiet ? 'warn' : 'info', sink: options.logSink });
  const backend = await initBackend({ name: config.backend.name, threads: config.backend.threads });
  // The trainer's run folder is a scratch one: evaluation must not touch the run that saved the checkpoint.
  const outputDir = await fs.mkdtemp(path.join(os.tmpdir(), 'floe-evaluate-'));
  const { trainer, container } = buildRunTrainer(resolved, { logger, backend, outputDir });
  try {
    await trainer.setup();
    if (trainer.evalLoader === undefined) {
      throw new ConfigError([{ path: 'data.trainEvalSplit', message: 'the data has no eval split to evaluate on', location: resolved.sourceMap.locateSetting('data.trainEvalSplit'), hint: 'Give the eval share a positive size, e.g. trainEvalSplit: [0.9, 0.1]' }]);
    }
    // The recipe's floe engine knows its custom dir; a recipe without one (exports only) loads with a default one.
    const engine = trainer.checkpointEngines.find((e): e is FloeCheckpointEngine => e instanceof FloeCheckpointEngine) ?? new FloeCheckpointEngine(trainer, new FloeCheckpointConfig());
    await engine.load(path.resolve(options.checkpoint), { purpose: 'evaluate' });
    trainer.isTraining = false;
    const metrics = await trainer.evaluate();
    return { checkpoint: trainer.lastCheckpointPath as string, step: trainer.globalStep, metrics };
  } catch (error) {
    throw error instanceof ConfigError ? error.located((p) => resolved.sourceMap.locateSetting(p)) : error;
  } finally {
    trainer.model?.dispose();
    trainer.optimizer?.dispose();
    container.clearInstances();
    await fs.rm(outputDir, { recursive: true, force: true });
  }
}
