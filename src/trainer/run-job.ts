import 'reflect-metadata';
import * as fs from 'fs/promises';
import * as path from 'path';
import { stringify as toYaml } from 'yaml';
import { initBackend } from '../backend/init-backend';
import { nativeKernelsStatus, nativeKernelsWarning } from '../backend/native/native-kernels-status';
import { writeFailedStatus } from '../callbacks/status-callback';
import { ReportCallback } from '../callbacks/report-callback';
import { FloeCheckpointEngine } from '../checkpoint/floe-checkpoint-engine';
import type { CheckpointFolder } from '../checkpoint/checkpoint-folders';
import { resolveCheckpointDir } from '../checkpoint/resolve-checkpoint-dir';
import { CheckpointError, ConfigError, FloeError } from '../errors';
import { rebaseRecipePaths } from '../config/recipe-paths';
import { RecipeOptions, ResolvedRecipe, recipeCheckpointFolders, validateRecipe } from '../config/validate-recipe';
import type { Communicator } from '../distributed/communicator';
import { mpiLaunch } from '../distributed/distributed-plan';
import { runDistributed } from '../distributed/run-distributed';
import { Logger, type LoggerOptions } from '../logging/logger';
import { buildRunTrainer } from './build-run-trainer';
import { floeCheckpointDirs } from './floe-checkpoint-dirs';
import { announceResume, findResumeCheckpoint } from './resume-target';
import { clearEarlierRun, clearedEarlierRunNote, earlierRunError, findEarlierRun, findLiveRun, liveRunError } from './earlier-run';
import { metricSourcesOf } from '../report/metric-sources';
import { createCheckpointFolders, createRunFolder } from './run-folder';
import type { Trainer } from './trainer';
import { TrainingResult } from './training-result';

/** Options of {@link runJob}. */
export interface RunJobOptions extends RecipeOptions {
  /** Logger for the run (default: a new one printing to `logSink`, quiet when the recipe says so). */
  logger?: Logger;
  /** Where the default logger prints (default: stdout, warnings and errors to stderr); the recipe's `quiet` still applies. */
  logSink?: LoggerOptions['sink'];
  /** Resume from this checkpoint folder (overrides autoResume). */
  resumeFrom?: string;
  /**
   * Resume from the newest checkpoint of the recipe's own run folder (`outputDir`), as
   * `floe train <recipe> --resume` with no value does; `resumeFrom` wins when both are given.
   */
  resumeRunFolder?: boolean;
  /** Called with the trainer once it is built, before training (for tests and tools). */
  onTrainerReady?: (trainer: Trainer) => void | Promise<void>;
  /** Run as this rank of a data-parallel job (set by the `threads` and `mpi` launchers). */
  communicator?: Communicator;
  /** Modules each `threads` worker imports before resolving the recipe (for classes registered in code, not by `code:`). */
  workerModules?: string[];
}

/**
 * Runs a recipe end to end: validate (nothing heavy happens before this succeeds), start the
 * backend, build the trainer and its parts in a child DI container of their own, resume if
 * asked, train, and release the run's tensors.
 */
export async function runJob(recipe: string | Record<string, unknown>, options: RunJobOptions = {}): Promise<TrainingResult> {
  const resolved = await validateRecipe(recipe, options);
  // The run folder is known only once the recipe (with its --set overrides) is resolved.
  const ofRunFolder = options.resumeRunFolder === true && options.resumeFrom === undefined;
  if (ofRunFolder) options = { ...options, resumeFrom: resolved.config.outputDir as string };
  // A --resume that names no checkpoint fails before the run folder (maybe an earlier run's) is touched.
  if (options.resumeFrom !== undefined) await resolveCheckpointDir(options.resumeFrom, { checkpointDirs: floeCheckpointDirs(resolved) }).catch((error: unknown) => Promise.reject(ofRunFolder ? resumeRunFolderError(error) : error));
  const located = (error: unknown): unknown => locatedError(error, resolved);
  const outputDir = path.resolve(resolved.config.outputDir as string);
  const folders = recipeCheckpointFolders(resolved.trainerClass, resolved.config);
  // The process that starts the run (not each worker thread) keeps it from mixing with an earlier one.
  const cleared = options.communicator === undefined ? await guardEarlierRun(resolved, options, outputDir, folders).catch((error: unknown) => Promise.reject(located(error))) : undefined;
  // Said here, by the process that deleted it: with worker threads, rank 0 trains in a thread of its own.
  if (cleared !== undefined) (options.logger ?? new Logger({ level: resolved.config.quiet ? 'warn' : 'info', sink: options.logSink })).info(cleared);
  // Every rank (worker thread or mpirun process) comes through here first, so the folder exists before any runs.
  await createRunFolder(outputDir);
  // A checkpoint folder the run cannot write would otherwise fail at the first save, losing the training before it.
  await createCheckpointFolders(folders).catch((error: unknown) => Promise.reject(located(error)));
  // Data parallel (`distributed:`): worker threads or mpirun ranks each run the rest as one rank.
  return runDistributed(recipe, options, resolved.config, (communicator) => runResolvedJob(resolved, options, communicator));
}

/** A setting found wrong while building (a warmup longer than training, a `from` that holds no model) gets where the recipe wrote it. */
function locatedError(error: unknown, resolved: ResolvedRecipe): unknown {
  const locate = (p: string) => resolved.sourceMap.locateSetting(p);
  if (error instanceof ConfigError) return error.located(locate);
  return error instanceof FloeError ? error.locateSetting(locate) : error;
}

/**
 * `--resume` with no value on a run that has no checkpoint yet: says that the flag looked in the
 * recipe's own run folder and what to do instead (start without it, or name a checkpoint).
 */
function resumeRunFolderError(error: unknown): unknown {
  if (!(error instanceof CheckpointError)) return error;
  return new CheckpointError(
    `--resume (no value) resumes the newest checkpoint of the recipe's run folder (outputDir), and there is none: ${error.message} ` +
      'Run without --resume to start the run, or name what to resume: --resume <checkpoint folder, folder of step-N checkpoints or run folder>.',
    { cause: error },
  );
}

/**
 * A fresh run (no autoResume, no --resume of a checkpoint of this run folder) in a folder holding
 * an earlier run: refused, or with `overwriteOutputDir` the earlier run's files are deleted first
 * (by rank 0 alone under mpirun). The checkpoint a run resumes from is never among them.
 */
async function guardEarlierRun(resolved: ResolvedRecipe, options: RunJobOptions, outputDir: string, folders: readonly CheckpointFolder[]): Promise<string | undefined> {
  const autoResume = (resolved.config.checkpoint ?? []).some((c) => (c as { autoResume?: unknown }).autoResume === true);
  // Where this run writes its metrics and status: an earlier run's there would be appended to.
  const sources = metricSourcesOf(outputDir, resolved.config.callbacks ?? []);
  // A run still going there (launched twice, or resumed while it trains), resumed or not; mpirun's other ranks would see rank 0's.
  const live = (mpiLaunch()?.rank ?? 0) === 0 ? await findLiveRun(sources.statusFile) : undefined;
  if (live !== undefined) throw liveRunError(outputDir, live);
  let resuming: string | undefined;
  if (options.resumeFrom !== undefined) {
    resuming = await resolveCheckpointDir(options.resumeFrom, { checkpointDirs: floeCheckpointDirs(resolved) });
    // Continuing the run in its own folder; a checkpoint from elsewhere may start a folder but not join another run's.
    // Compared as real paths: the same folder may be named through a symlink.
    const real = (p: string): Promise<string> => fs.realpath(p).catch(() => p);
    const [checkpoint, run] = [await real(resuming), await real(outputDir)];
    const engineDirs = await Promise.all(folders.map((f) => real(f.dir)));
    if (checkpoint.startsWith(`${run}${path.sep}`) || engineDirs.includes(path.dirname(checkpoint))) return;
  } else if (autoResume) return;
  const earlier = await findEarlierRun(outputDir, folders, sources);
  if (earlier === undefined) return;
  if (resolved.config.overwriteOutputDir !== true) throw earlierRunError(outputDir, earlier, resuming);
  if ((mpiLaunch()?.rank ?? 0) === 0) await clearEarlierRun(outputDir, folders, sources);
  // Deleting a run's checkpoints and metrics is worth a line: it said nothing.
  return clearedEarlierRunNote(outputDir, earlier);
}

async function runResolvedJob(resolved: ResolvedRecipe, options: RunJobOptions, communicator: Communicator | undefined): Promise<TrainingResult> {
  const { config } = resolved;
  // Rank 0 alone logs and writes the run folder.
  const isMain = (communicator?.rank ?? 0) === 0;
  const logger = options.logger ?? new Logger({ level: !isMain ? 'error' : config.quiet ? 'warn' : 'info', sink: options.logSink });
  const backend = await initBackend({ name: config.backend.name, threads: config.backend.threads });
  const outputDir = path.resolve(config.outputDir as string);
  // Data paths and the like made absolute, so the file reproduces the run from wherever it is.
  const writeResolvedRecipe = (): Promise<void> => fs.writeFile(path.join(outputDir, 'recipe.resolved.yaml'), toYaml(rebaseRecipePaths(resolved.resolved, resolved.recipeDir)));
  // A resume that fails to load (a mistyped setting) must not replace the recipe of the run it continues.
  const resuming = options.resumeFrom !== undefined || config.checkpoint.some((c) => (c as { autoResume?: unknown }).autoResume === true);
  if (isMain && !resuming) await writeResolvedRecipe();

  const { trainer, container } = buildRunTrainer(resolved, { logger, backend, outputDir, communicator });
  const rank = communicator === undefined ? '' : `, rank ${communicator.rank} of ${communicator.size} (${communicator.backend})`;
  if (!config.quiet) logger.info(`floe: trainer '${config.type}' on backend ${backend.name}${rank}, run folder ${path.relative(process.cwd(), outputDir) || '.'}`);
  warnIfSlowKernels(backend.name, isMain, logger);
  // Whether train() was entered: before it nothing trained, whatever step a checkpoint's load set.
  let training = false;
  try {
    // Known before setup, so the model can be built from the checkpoint's weights (no random init to overwrite).
    announceResume(trainer, await findResumeCheckpoint(resolved, { outputDir, resumeFrom: options.resumeFrom }));
    await trainer.setup();
    await resume(trainer, options.resumeFrom, logger);
    if (isMain && resuming) await writeResolvedRecipe();
    await options.onTrainerReady?.(trainer);
    training = true;
    return await trainer.train();
  } catch (caught) {
    // A setting found wrong while building (a warmup longer than training) is located like a validation error.
    const error = locatedError(caught, resolved);
    // status.json says `failed` with the message; the error still propagates. A resume refused before
    // training (a bad setting, a checkpoint that fails its checks while or after its trainer state
    // loaded, which sets globalStep) leaves the status of the run it meant to continue.
    const statusFile = metricSourcesOf(outputDir, config.callbacks ?? []).statusFile;
    const keepStatus = resuming && !training && (await statusStep(statusFile)) > 0;
    if (isMain && !keepStatus) await writeFailedStatus({ trainer, outputDir, error, file: statusFile }).catch((e: Error) => logger.warn(`cannot write status.json: ${e.message}`));
    // The curves up to the failure, with the error (a run that diverged is where a report helps most);
    // none when nothing trained here: the earlier run's report stays as it was.
    if (isMain && training && trainer.globalStep > 0) await trainer.callbackList?.find(ReportCallback)?.write();
    throw error;
  } finally {
    // A plugin's model or optimizer that cannot be disposed must not replace the error that ended the run.
    for (const part of [trainer.model, trainer.optimizer] as Array<{ dispose?: unknown } | undefined>) {
      try {
        if (typeof part?.dispose === 'function') part.dispose();
      } catch (error) {
        logger.warn(`cleanup: disposing ${part?.constructor?.name ?? 'a part'} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    try {
      trainer.disposeOwnTensors();
    } catch (error) {
      logger.warn(`cleanup: ${trainer.constructor.name}.disposeOwnTensors() failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    container.clearInstances();
  }
}

async function resume(trainer: Trainer, resumeFrom: string | undefined, logger: Logger): Promise<void> {
  const engines = trainer.checkpointEngines.filter((e): e is FloeCheckpointEngine => e instanceof FloeCheckpointEngine);
  if (resumeFrom !== undefined) {
    const engine = engines[0];
    if (engine === undefined) throw new CheckpointError(`Cannot resume from ${resumeFrom}: the recipe has no 'floe' checkpoint engine to load it`);
    await engine.load(path.resolve(resumeFrom));
    // A run folder or a folder of checkpoints resolves to one checkpoint: name the one loaded.
    logger.info(`resumed from ${path.relative(process.cwd(), trainer.lastCheckpointPath ?? path.resolve(resumeFrom))} at step ${trainer.globalStep}`);
    // Resuming this folder's own run deletes nothing (guardEarlierRun), as with autoResume: say so.
    const runDir = trainer.context.outputDir;
    const loaded = path.resolve(trainer.lastCheckpointPath ?? resumeFrom);
    if (trainer.config.overwriteOutputDir === true && loaded.startsWith(`${runDir}${path.sep}`)) {
      const shown = path.relative(process.cwd(), runDir) || '.';
      logger.warn(`overwriteOutputDir is ignored: --resume continues the run in ${shown} instead of starting over (its metrics and checkpoints are kept); to start over, leave out --resume`);
    }
    return;
  }
  for (const engine of engines) {
    if (!engine.config.autoResume) continue;
    const latest = await engine.latest();
    if (latest === undefined) continue;
    await engine.load(latest);
    logger.info(`auto-resumed from ${path.relative(process.cwd(), latest)} at step ${trainer.globalStep}`);
    // Resuming wins (a preempted job relaunched with both must not start over), but not silently.
    if (trainer.config.overwriteOutputDir === true) {
      const at = `checkpoint[${trainer.checkpointEngines.indexOf(engine)}]`;
      logger.warn(`overwriteOutputDir is ignored: ${at}.autoResume continues the run in ${path.relative(process.cwd(), trainer.context.outputDir) || '.'} instead of starting over; to start over, also set ${at}.autoResume=false`);
    }
    return;
  }
}

/** The step a status file records (0 when there is none). */
async function statusStep(file: string): Promise<number> {
  try {
    const step = (JSON.parse(await fs.readFile(file, 'utf8')) as { step?: unknown }).step;
    return typeof step === 'number' ? step : 0;
  } catch {
    return 0;
  }
}

let warnedSlowKernels = false;

/** Once per process (a test suite or sweep runs many jobs), rank 0 says why wasm runs without native kernels. */
function warnIfSlowKernels(backend: string, isMain: boolean, logger: Logger): void {
  if (!isMain || warnedSlowKernels) return;
  const warning = nativeKernelsWarning(nativeKernelsStatus(), backend);
  if (warning === undefined) return;
  warnedSlowKernels = true;
  logger.warn(warning);
}
