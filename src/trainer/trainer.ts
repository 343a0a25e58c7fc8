import * as tf from '@tensorflow/tfjs';
import type { BackendInfo } from '../backend/backend-names';
import { wasmOutOfMemoryError } from '../backend/wasm-memory';
import { Callback, Metrics } from '../callbacks/callback';
import { CallbackList } from '../callbacks/callback-list';
import { TrainerControl } from '../callbacks/trainer-control';
import { CheckpointEngine, SaveReason } from '../checkpoint/checkpoint-engine';
import { ConfigClass } from '../config/component-config';
import { DataLoader, DataLoaders } from '../data/data-loader';
import { Logger } from '../logging/logger';
import { FloeModel } from '../model/floe-model';
import { ParamOptimizer } from '../optim/param-optimizer';
import { Rng } from '../random';
import { LrSchedule } from '../scheduler/lr-schedule';
import { Tokenizer } from '../tokenizer/tokenizer';
import { MethodCallback, MethodCallbackEvent, DEFAULT_CALLBACK_METHODS, installMethodCallbacks } from './method-callbacks';
import { GradientCycle } from './gradient-cycle';
import { MetricTracker } from './metric-tracker';
import { CycleParts, dropUnfinishedCycle } from './cycle-micro-batches';
import { EpochLoop } from './epoch-loop';
import { remainingEpochs } from './remaining-epochs';
import type { CompletedStepFigures } from './log-window-steps';
import { TrainLog } from './train-log';
import type { FactoryList } from './trainer-kind';
import { trainingHorizon, warmupSteps } from './training-horizon';
import { meanEvalLoss } from './mean-eval-loss';
import { EvaluationRuns } from './evaluation-runs';
import { applyStepLimits, checkStepLimitsAtStart } from './step-limits';
import { RunContext } from './run-context';
import { TrainerConfig } from './trainer-config';
import { TrainerState } from './trainer-state';
import { buildTrainerComponents } from './build-components';
import { FrozenParams } from './frozen-params';
import { RunStatus, TrainingResult, trainingResultOf } from './training-result';
import { batchStats } from './batch-stats';
import { saveThroughEngines } from './save-checkpoints';
import { createRunCallbacks } from '../callbacks/create-run-callbacks';
import { NonFiniteGuard } from '../callbacks/non-finite-guard';
import { DEFAULT_FACTORY_LISTS } from './default-factories';
import { DataParallel, LocalDataParallel } from '../distributed/data-parallel';
import { RankDataParallel } from '../distributed/rank-data-parallel';
import type { TrainerMemoryNeeds } from './trainer-memory-needs';

export type { FactoryList } from './trainer-kind';
export { TRAINER_KIND } from './trainer-kind';

/**
 * The training loop. A trainer is a list of allowed parts plus a loss: subclasses declare
 * `type`, their factory lists and `loss(batch)`; they may override `step`, `epoch`, `train`,
 * `evaluate` and `checkpoint`. The default `train()` calls `epoch()`, which calls `step()`
 * per micro-batch, which calls `loss()`. Other override points: `setup()` (build parts of a
 * kind the trainer declares itself), `batchWeight()` (a batch's share of the gradient average),
 * `createCallbacks()`, and `extraCheckpointFiles()` / `restoreExtraCheckpointFiles()` (state
 * saved with every checkpoint).
 */
export abstract class Trainer<B = any> {
  /** The component kind of every trainer. */
  static readonly kind: string = 'trainer';
  /** Registry key and the recipe's top-level `type:`. Each concrete trainer declares its own. */
  static readonly type: string;
  /** Config class of the recipe's top level. */
  static readonly configType: ConfigClass = TrainerConfig;
  /** Allowed tokenizer factories, default first. */
  static readonly tokenizerFactoryType: FactoryList = DEFAULT_FACTORY_LISTS.tokenizer;
  /** Allowed data factories, default first (concrete trainers must declare these). */
  static readonly dataFactoryType: FactoryList = [];
  /** Allowed model factories, default first (concrete trainers must declare these). */
  static readonly modelFactoryType: FactoryList = [];
  /** Allowed optimizer factories, default first. */
  static readonly optimizerFactoryType: FactoryList = DEFAULT_FACTORY_LISTS.optimizer;
  /** Allowed LR scheduler factories, default first. */
  static readonly schedulerFactoryType: FactoryList = DEFAULT_FACTORY_LISTS.scheduler;
  /** Allowed checkpoint engines, default first. */
  static readonly checkpointEngineType: FactoryList = DEFAULT_FACTORY_LISTS.checkpoint;
  /** Callbacks this trainer always uses (built with default configs), before the recipe's `callbacks:`. */
  static readonly callbackType: FactoryList = [];
  /** Pre/post method callbacks, e.g. `['post-loss', (trainer, loss) => ...]`. */
  static readonly callbacks: ReadonlyArray<[MethodCallbackEvent, MethodCallback]> = [];
  /** Methods that may carry pre/post callbacks; subclasses may add their own. */
  static readonly callbackMethods: readonly string[] = DEFAULT_CALLBACK_METHODS;

  /** The flow-control flags callbacks set. */
  readonly control = new TrainerControl();
  /** The run's RNG for per-step randomness (dropout seeds); checkpointed. */
  readonly rng: Rng;
  /** Training progress; checkpointed. */
  state: TrainerState;
  /** True inside training steps, false during evaluation (models switch dropout on this). */
  isTraining = true;

  /** The run's tokenizer (built first by `setup()`). */
  tokenizer!: Tokenizer;
  /** The model being trained: named weights (built by `setup()`). */
  model!: FloeModel;
  /** Updates the model's weights from averaged, clipped gradients. */
  optimizer!: ParamOptimizer;
  /** The learning-rate schedule: optimizer step → lr. */
  scheduler!: LrSchedule;
  /** Batches of the training split. */
  trainLoader!: DataLoader<B>;
  /** Batches of the eval split, when the data has one. */
  evalLoader?: DataLoader<B>;
  /** Everything the data factory built (loaders plus anything extra, e.g. held-out prompts). */
  dataLoaders?: DataLoaders<B>;
  /** The recipe's checkpoint engines (`checkpoint:`), asked in order at every save point. */
  checkpointEngines: CheckpointEngine[] = [];
  /** Every callback of the run, called hook by hook. */
  callbackList!: CallbackList;
  /** Built factories by recipe section (`optimizer` → the AdamW factory instance, ...). */
  readonly factories = new Map<string, unknown>();
  /** Folder of the newest resumable checkpoint written or loaded (an export only when no engine writes resumable ones). */
  lastCheckpointPath?: string;
  /** Last training metrics logged and last evaluation metrics. */
  lastMetrics: Metrics = {};

  /** Training metrics accumulated as tensors until the next log reads them in one batch. */
  protected readonly metrics = new MetricTracker();
  /** Spots NaN/Inf losses and gradient norms without a per-step sync (see NonFiniteGuard). */
  protected readonly nonFiniteGuard = new NonFiniteGuard(() => this.lastCheckpointPath);
  /** Data parallelism: this rank's shard, gradient averaging across ranks (identity when alone). */
  readonly dp: DataParallel;
  private readonly cycle = new GradientCycle();
  private lastLr = 0;
  private readonly trainLog = new TrainLog(this, this.metrics);
  private readonly cycleParts: CycleParts = { cycle: this.cycle, metrics: this.metrics, nonFiniteGuard: this.nonFiniteGuard, trainLog: this.trainLog };
  private readonly evaluationRuns = new EvaluationRuns(this);
  private readonly loop = new EpochLoop(this, { cycleParts: this.cycleParts, optimizerStep: () => this.optimizerStep() });
  private frozen?: { params: Map<string, tf.Variable>; split: FrozenParams };

  constructor(
    /** The validated recipe. */
    readonly config: TrainerConfig,
    /** Run-wide services: container, logger, backend, run folder. */
    readonly context: RunContext,
  ) {
    this.rng = new Rng(config.seed).fork('trainer');
    this.dp = context.communicator === undefined ? new LocalDataParallel() : new RankDataParallel(context.communicator);
    this.state = { globalStep: 0, epochIndex: 0, batchInEpoch: 0, rng: this.rng.getState(), samplesSeen: 0, tokensSeen: 0 };
    const cls = this.constructor as typeof Trainer;
    installMethodCallbacks(this, cls.callbackMethods, cls.callbacks);
  }

  /** The loss of one batch, a scalar. Called inside a gradient tape: keep it synchronous. */
  abstract loss(batch: B): tf.Scalar;

  /** Builds tokenizer, data, model, optimizer, scheduler, checkpoint engines and callbacks. */
  async setup(): Promise<void> {
    await buildTrainerComponents(this);
    if (this.evalLoader !== undefined) this.evalLoader = this.dp.evalLoader(this, this.evalLoader);
    this.callbackList = new CallbackList(this.createCallbacks(), this.control);
  }

  /** Built-in callbacks (per the recipe's top-level fields), `callbackType` and the recipe's; subclasses may add their own. */
  protected createCallbacks(): Callback[] {
    return createRunCallbacks(this, (this.factories.get('callbacks') as Callback[] | undefined) ?? []).filter((cb) => this.dp.keepsCallback(cb));
  }

  /** The run's logger. */
  get logger(): Logger {
    return this.context.logger;
  }
  /**
   * `model.params` split by the recipe's `freeze:` patterns (and, for a model with adapters such as
   * `model.lora`, every non-adapter parameter frozen), resolved once the model is built (the
   * setup checks it before any step). @throws ConfigError for a pattern matching no parameter, or all of them.
   */
  get frozenParams(): FrozenParams {
    const params = this.model.params;
    if (this.frozen?.params !== params) this.frozen = { params, split: FrozenParams.resolve(params, this.config.freeze ?? [], this.model.adapter) };
    return this.frozen.split;
  }
  /** The parameters training differentiates and updates: `model.params` minus the frozen ones. */
  get trainableParams(): Map<string, tf.Variable> {
    return this.frozenParams.trainable;
  }
  /** The tfjs backend the run uses. */
  get backend(): BackendInfo {
    return this.context.backend;
  }
  /** Optimizer steps taken so far (including those before a resume). */
  get globalStep(): number {
    return this.state.globalStep;
  }
  /** Index of the current epoch, from 0. */
  get epochIndex(): number {
    return this.state.epochIndex;
  }
  /** Micro-batches per epoch. */
  get trainBatchesPerEpoch(): number {
    return this.trainLoader.length;
  }
  /** Total optimizer steps of the run (see {@link trainingHorizon}: a partial last cycle of an epoch still steps). */
  get trainingHorizon(): number {
    const c = this.config;
    return trainingHorizon({ batchesPerEpoch: this.trainLoader.length, gradientAccumulationSteps: c.gradientAccumulationSteps, ranks: this.dp.size, epochs: c.epochs, trainIters: c.trainIters });
  }
  /** Warmup steps resolved from the scheduler config (steps, or ratio of the horizon). */
  get warmupSteps(): number {
    return warmupSteps(this.config.scheduler, this.trainingHorizon);
  }
  /** Learning rate of the last optimizer step. */
  get lr(): number {
    return this.lastLr;
  }

  /** The epochs still to run (from the current one); advancing moves to the next epoch. */
  get epochs(): Iterable<number> {
    return { [Symbol.iterator]: () => remainingEpochs(() => this.state, this.config.epochs, this.control) };
  }

  /** This epoch's remaining training batches (resumes at `state.batchInEpoch`); data parallel, this rank's shard. */
  get trainBatches(): Iterable<B> | AsyncIterable<B> {
    return this.dp.epochBatches(this, this.state.epochIndex, this.state.batchInEpoch);
  }

  /**
   * Weight of a batch in the gradient average: the tokens its loss is averaged over (else 1),
   * so micro-batches with more real tokens count for more, exactly as one big batch would.
   */
  batchWeight(batch: B): number {
    return batchStats(batch).lossTokens || 1;
  }

  /** Runs every remaining epoch, evaluates and saves at the end. */
  async train(): Promise<TrainingResult> {
    const start = performance.now();
    // Restored by a resume before train() runs.
    const startStep = this.state.globalStep;
    let status: RunStatus = 'finished';
    let failure: unknown;
    this.trainLog.start(startStep);
    try {
      await this.dp.begin(this);
      await this.callbackList.trainBegin();
      checkStepLimitsAtStart(this);
      for (const _epoch of this.epochs) {
        await this.epoch();
        await this.loop.epochWatch.check(this.constructor.name);
      }
      // A stop mid accumulation cycle drops that cycle: the final record covers completed steps only.
      const completed = dropUnfinishedCycle(this, this.cycleParts);
      if (this.evaluationRuns.dueAtEnd) await this.runEvaluation();
      if (await this.dp.anyRank(this.trainLog.windowSteps > 0)) await this.log(completed);
      await this.checkpoint('end');
      if (this.control.stopReason !== undefined) status = 'stopped';
      await this.callbackList.trainEnd();
    } catch (error) {
      status = 'failed';
      // A full wasm memory surfaces as a raw out-of-bounds RuntimeError: name the cap and what to do.
      failure = wasmOutOfMemoryError({ error, backend: this.backend.name, heldBytes: tf.memory().numBytes });
      await this.trainLog.logCompletedSteps();
    } finally {
      this.cycle.dispose();
      this.metrics.dispose();
      // Closes files and removes signal handlers, also after a failure (when onTrainEnd never ran).
      await this.callbackList.dispose().catch((error: Error) => this.logger.warn(`callback cleanup failed: ${error.message}`));
    }
    if (failure !== undefined) throw failure;
    return trainingResultOf(this, { status, runtimeSec: (performance.now() - start) / 1000, startStep });
  }

  /** One pass over this epoch's remaining batches (a final partial accumulation cycle still steps). */
  epoch(): Promise<void> {
    // Tracked, so an override that forgets to await super.epoch() is reported (see StepWatch).
    return this.loop.epochWatch.track(this.loop.pass());
  }

  /**
   * One micro-batch: loss and gradients, accumulated weighted by the batch's token count; every
   * `gradientAccumulationSteps` micro-batches the averaged gradients make one optimizer step.
   */
  step(batch: B): Promise<void> {
    // Tracked, so an override that forgets to await super.step(batch) is reported (see StepWatch).
    return this.loop.stepWatch.track(this.loop.microBatch(batch));
  }

  /** Average, clip, update, then log/evaluate/save as due. */
  protected async optimizerStep(): Promise<void> {
    // Data parallel, the weighted sums of every rank are added up (all-reduce) before averaging.
    const { grads, norm, gradScale, dispose } = await this.cycle.finish(this.dp, this, {
      maxGradNorm: this.config.maxGradNorm,
      scaleInOptimizer: this.optimizer.acceptsGradScale === true,
    });
    // The norm is freed here unless the metric tracker took it: a step that throws never gets there.
    let unowned: tf.Scalar | undefined = norm;
    try {
      // Skipping needs the answer before the update: one awaited read per step, only under `skip`.
      const skip = this.config.nonFinite === 'skip' && !(await this.nonFiniteGuard.isFinite(norm));
      await this.callbackList.beforeOptimizerStep();
      this.lastLr = this.scheduler(this.state.globalStep);
      if (skip) this.logger.warn(`step ${this.state.globalStep + 1}: non-finite gradient norm; update skipped (nonFinite: skip)`);
      this.nonFiniteGuard.countSkip(skip, this.state.globalStep + 1, this.config.nonFiniteSkipLimit);
      if (!skip) this.optimizer.applyGradients(this.model.params, grads, this.lastLr, { gradScale });
      this.metrics.add('gradNorm', norm);
      unowned = undefined;
    } finally {
      dispose();
      tf.dispose(unowned);
    }
    this.state.globalStep++;
    this.trainLog.stepDone(this.lastLr);
    if (this.config.nonFinite === 'stop') this.nonFiniteGuard.watch('gradient norm', norm, this.state.globalStep);
    await this.callbackList.stepEnd();
    await this.afterOptimizerStep();
  }

  /** Stop conditions, logging, evaluation and checkpoints due after a step. */
  protected async afterOptimizerStep(): Promise<void> {
    this.nonFiniteGuard.check();
    const step = this.state.globalStep;
    applyStepLimits(this, step);
    // Data parallel, logging and evaluation are collectives: every rank decides alike.
    await this.dp.syncControl(this.control);
    if (step % this.config.logInterval === 0 || this.control.shouldLog) await this.log();
    if (this.evaluationRuns.dueAfterStep(step)) await this.runEvaluation();
    await this.checkpoint(this.control.shouldSave ? 'requested' : 'step');
    this.control.shouldLog = false;
    this.control.shouldEvaluate = false;
    this.control.shouldSave = false;
    await this.dp.syncControl(this.control);
  }

  /** Reads the pending metrics in one batch and reports them (`completed`: a dropped cycle's figures left out). */
  protected async log(completed?: CompletedStepFigures): Promise<void> {
    await this.trainLog.log(completed);
  }

  /**
   * A trainer's own figures for the training log record, over the window's completed steps (e.g.
   * DPO's rewards); called on every rank at each log, so it may reduce across ranks. None by default.
   */
  async trainLogMetrics(): Promise<Metrics> {
    return {};
  }

  /** Runs `evaluate()` and reports its metrics. */
  protected async runEvaluation(): Promise<Metrics> {
    return this.trainLog.excluding(() => this.evaluationRuns.run());
  }

  /** Mean eval loss over the eval split (token-weighted), as `eval/loss`. */
  async evaluate(): Promise<Metrics> {
    return meanEvalLoss(this);
  }

  /**
   * Saves through every engine that wants to for `reason`; returns the last folder written.
   * `lastCheckpointPath` follows the resumable (floe) checkpoints, which `--resume` takes.
   */
  async checkpoint(reason: SaveReason = 'requested'): Promise<string | undefined> {
    // Data parallel, the replicas are identical: rank 0 alone saves.
    if (!this.dp.isMain) return undefined;
    // A save is not training time: the throughput of the window it falls in leaves it out.
    return this.trainLog.excluding(() => this.saveCheckpoints(reason));
  }

  private async saveCheckpoints(reason: SaveReason): Promise<string | undefined> {
    // Never save weights from after a non-finite step: wait for the outstanding checks first.
    await this.nonFiniteGuard.settle();
    return saveThroughEngines(this, reason);
  }

  /** Restores progress saved in a checkpoint (the engine restores weights and optimizer state). */
  restoreState(state: TrainerState): void {
    this.state = { ...state };
    this.rng.setState(state.rng);
    this.evaluationRuns.restored(state.globalStep);
  }

  /**
   * Extra JSON files each checkpoint stores for this trainer, file name → value (e.g. a supervised
   * trainer's `normalization.json`). Loading reads the same names back into
   * {@link restoreExtraCheckpointFiles}. None by default.
   */
  extraCheckpointFiles(): Record<string, unknown> {
    return {};
  }

  /** Receives the files named by {@link extraCheckpointFiles} that a loaded checkpoint holds, parsed. */
  restoreExtraCheckpointFiles(_files: Record<string, unknown>): void {}

  /**
   * Frees tensors the trainer holds itself (not the model or optimizer, which the run frees), once
   * the run or evaluation ends, however it ends; safe to call twice. Nothing by default.
   */
  disposeOwnTensors(): void {}

  /**
   * What a run of this trainer holds beyond the model, its training state and one forward of
   * `microBatchSize` rows, for the model factory's memory pre-check (it runs before the model is
   * built: read the recipe, `config`). Nothing by default.
   */
  static memoryNeeds(_config: TrainerConfig): TrainerMemoryNeeds {
    return {};
  }
}
