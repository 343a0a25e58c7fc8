import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../backend/init-backend';
import type { Metrics } from '../callbacks/callback';
import { FloeCheckpointConfig, FloeCheckpointEngine } from '../checkpoint/floe-checkpoint-engine';
import { resolveCheckpointDir } from '../checkpoint/resolve-checkpoint-dir';
import { RecipeOptions, ResolvedRecipe, validateRecipe } from '../config/validate-recipe';
import type { Communicator } from '../distributed/communicator';
import { mpiLaunch } from '../distributed/distributed-plan';
import { loadMpiBinding, MpiCommunicator } from '../distributed/mpi-communicator';
import { runMpiRank } from '../distributed/run-mpi-rank';
import type { EvalDataFiles, EvalDataSummary } from '../data/eval-data';
import { ConfigError, DataError } from '../errors';
import { Logger, type LoggerOptions } from '../logging/logger';
import { buildRunTrainer } from './build-run-trainer';
import { checkedMetrics } from './checked-loss';
import { floeCheckpointDirs } from './floe-checkpoint-dirs';

/** Options of {@link evaluateJob}. */
export interface EvaluateJobOptions extends RecipeOptions {
  /** The checkpoint to evaluate: a checkpoint folder, a folder of them, or a run folder (its newest). */
  checkpoint: string;
  /** Logger (default: a new one printing to `logSink`, quiet when the recipe says so, errors only on ranks other than 0). */
  logger?: Logger;
  /** Where the default logger prints. */
  logSink?: LoggerOptions['sink'];
  /** Evaluate as this rank of a group, each rank its share (default: this process's rank under mpirun with several ranks, else alone). */
  communicator?: Communicator;
  /**
   * Evaluate on these files whole (files, folders or globs, relative to the working directory)
   * instead of the recipe's eval split: read as the recipe's data sources read files (format,
   * fields, columns) and processed with its data settings, with no train/eval split and no
   * shuffling; every record is evaluated (`evalMaxBatches` does not apply).
   */
  data?: string[];
}

/** What {@link evaluateJob} measured. */
export interface EvaluationResult {
  /** The checkpoint folder evaluated. */
  checkpoint: string;
  /** Its optimizer step. */
  step: number;
  /** The trainer's eval metrics (`eval/loss`, and e.g. `eval/exact_match` or `eval/accuracy`), of the whole eval split on every rank. */
  metrics: Metrics;
  /** This process's rank when ranks shared the evaluation (0 alone): rank 0 alone should print the result. */
  rank: number;
  /** How many ranks shared the evaluation (1 alone). */
  ranks: number;
  /** The data evaluated: the `data` files (absent for the eval split), its records and tokens (whole, not this rank's share). */
  data: EvalDataSummary;
}

/**
 * Evaluates a checkpoint on a recipe's eval split (or, with `data`, on whole files), as training
 * evaluates (dropout off, the same metrics), without training and without writing to any run
 * folder: the recipe builds the trainer and its data, the checkpoint gives the weights and what
 * the run saved beside them (a supervised model's normalization). The optimizer state is not
 * loaded, so the recipe's optimizer need not match. Under mpirun with several ranks (whatever the
 * recipe's `distributed:` says) the ranks share the eval split (or the files) as data-parallel
 * training does and every rank gets the job's metrics; otherwise one process evaluates, without
 * worker threads.
 */
export async function evaluateJob(recipe: string | Record<string, unknown>, options: EvaluateJobOptions): Promise<EvaluationResult> {
  if (options.data !== undefined && options.data.length === 0) throw new DataError('evaluateJob: data lists no files; give at least one file, folder or glob, or leave it out for the eval split');
  const resolved = await validateRecipe(recipe, options);
  // No checkpoint there (a run folder before its first save): said now, before the data and the model are built for nothing.
  // The engine's load below looks in the first of these dirs, so whatever it would find, this finds.
  await resolveCheckpointDir(options.checkpoint, { checkpointDirs: [...floeCheckpointDirs(resolved), FloeCheckpointEngine.defaultDir] });
  if (options.communicator !== undefined) return evaluateResolved(resolved, options, options.communicator);
  const launch = mpiLaunch();
  if (launch === undefined || launch.size === 1) return evaluateResolved(resolved, options, undefined);
  const comm = new MpiCommunicator(loadMpiBinding(), resolved.config.distributed.timeoutSec * 1000);
  return runMpiRank(comm, () => evaluateResolved(resolved, options, comm));
}

async function evaluateResolved(resolved: ResolvedRecipe, options: EvaluateJobOptions, communicator: Communicator | undefined): Promise<EvaluationResult> {
  const { config } = resolved;
  const [rank, ranks] = [communicator?.rank ?? 0, communicator?.size ?? 1];
  const logger = options.logger ?? new Logger({ level: rank !== 0 ? 'error' : config.quiet ? 'warn' : 'info', sink: options.logSink });
  const evalData: EvalDataFiles | undefined = options.data === undefined ? undefined : { paths: [...options.data], cwd: process.cwd() };
  const share = evalData === undefined ? 'the eval split' : `the data (${evalData.paths.join(', ')})`;
  if (rank === 0 && ranks > 1 && !config.quiet) logger.info(`floe: evaluating on ${ranks} ${communicator?.backend === 'mpi' ? 'MPI ranks' : 'ranks'}, each its share of ${share}`);
  // Whole files are evaluated to their last record.
  if (evalData !== undefined) config.evalMaxBatches = undefined;
  const backend = await initBackend({ name: config.backend.name, threads: config.backend.threads });
  // The trainer's run folder is a scratch one: evaluation must not touch the run that saved the checkpoint.
  const outputDir = await fs.mkdtemp(path.join(os.tmpdir(), 'floe-evaluate-'));
  // inference: the model is evaluated, not trained (the memory check counts no gradients or optimizer state).
  const { trainer, container } = buildRunTrainer(resolved, { logger, backend, outputDir, communicator, evalData, inference: true });
  try {
    // With a communicator, the trainer's eval loader yields this rank's share.
    await trainer.setup();
    if (trainer.evalLoader === undefined && evalData !== undefined) {
      throw new DataError(`--data ${evalData.paths.join(', ')} gave no rows to evaluate (the warnings above say why)`);
    }
    if (trainer.evalLoader === undefined) {
      throw new ConfigError([{ path: 'data.trainEvalSplit', message: 'the data has no eval split to evaluate on', location: resolved.sourceMap.locateSetting('data.trainEvalSplit'), hint: 'Give the eval share a positive size, e.g. trainEvalSplit: [0.9, 0.1]' }]);
    }
    // The recipe's floe engine knows its custom dir; a recipe without one (exports only) loads with a default one.
    const engine = trainer.checkpointEngines.find((e): e is FloeCheckpointEngine => e instanceof FloeCheckpointEngine) ?? new FloeCheckpointEngine(trainer, new FloeCheckpointConfig());
    await engine.load(path.resolve(options.checkpoint), { purpose: 'evaluate' });
    // Ranks check they evaluate the same recipe at the same step, and take rank 0's weights.
    await trainer.dp.begin(trainer);
    trainer.isTraining = false;
    // Each rank's sums are added up before dividing (as training's evaluation does): every rank gets the job's figures.
    const metrics = await trainer.dp.reduceEvalMetrics(checkedMetrics(trainer, await trainer.evaluate()));
    const data = trainer.dataLoaders?.evalSummary ?? { records: trainer.evalLoader.numExamples };
    return { checkpoint: trainer.lastCheckpointPath as string, step: trainer.globalStep, metrics, rank, ranks, data };
  } catch (error) {
    throw error instanceof ConfigError ? error.located((p) => resolved.sourceMap.locateSetting(p)) : error;
  } finally {
    trainer.model?.dispose();
    trainer.optimizer?.dispose();
    trainer.disposeOwnTensors();
    container.clearInstances();
    await fs.rm(outputDir, { recursive: true, force: true });
  }
}
