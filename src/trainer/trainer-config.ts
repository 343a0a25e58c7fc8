import { plainToInstance, Transform, Type } from 'class-transformer';
import { IsArray, IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Max, Min, ValidateNested } from 'class-validator';
import { BACKEND_NAMES, BackendName, backendNameHint } from '../backend/backend-names';
import type { CallbackConfig } from '../callbacks/callback';
import type { NonFinitePolicy } from '../callbacks/non-finite-guard';
import type { ProgressMode } from '../callbacks/progress-callback';
import type { CheckpointConfig } from '../checkpoint/checkpoint-engine';
import { ComponentConfig } from '../config/component-config';
import { Count, HumanNumber, IsCount } from '../config/human-number';
import type { DataConfig } from '../data/data-factory';
import { DistributedConfig } from '../distributed/distributed-config';
import type { ModelConfig } from '../model/model-factory';
import type { OptimizerConfig } from '../optim/optimizer-factory';
import { countText } from '../scheduler/schedule-checks';
import type { SchedulerConfig } from '../scheduler/scheduler-factory';
import { ConfigRule } from '../config/config-rule';
import type { TokenizerConfig } from '../tokenizer/tokenizer-factory';
import { IsPath } from '../config/is-path';
import { MAX_SEED } from '../random/rng';

/** Which tfjs backend runs the job (`backend: wasm` or `backend: { name: wasm, threads: 1 }`). */
export class BackendConfig {
  /** `auto` picks tensorflow-gpu, then tensorflow (tfjs-node), then wasm, by what is installed. */
  @IsIn(BACKEND_NAMES as unknown as string[], { context: { hint: backendNameHint } })
  name: BackendName = 'auto';

  /** Compute threads (wasm and cpu support 1 under Node). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @ConfigRule('oneThread', oneThreadProblem)
  threads?: number;
}

/** wasm and cpu run on one thread under Node: more is refused at validation (`auto` is checked when it resolves). */
function oneThreadProblem(c: BackendConfig): string | undefined {
  if ((c.name !== 'wasm' && c.name !== 'cpu') || typeof c.threads !== 'number' || c.threads <= 1) return undefined;
  return (
    `is ${c.threads}, but the ${c.name} backend runs on one thread under Node (tfjs has no ${c.name} thread pool there); ` +
    `use threads: 1, data-parallel worker threads for every core (distributed: { workers: auto }), ` +
    `or backend tensorflow (npm install @tensorflow/tfjs-node)`
  );
}

/**
 * A schedule whose phases given in steps do not fit an explicit `trainIters` (which caps the
 * horizon, so it is known to be at most that): a warmup must end by the last step, and so must
 * a `wsd` decay after it. With only `epochs` (or a percentage) the horizon depends on
 * the data, so that check waits for the run's setup.
 */
function scheduleProblem(c: TrainerConfig): string | undefined {
  const scheduler = c.scheduler as Partial<SchedulerConfig> | undefined;
  if (typeof c.trainIters !== 'number' || !Number.isSafeInteger(c.trainIters) || typeof scheduler?.phasesInSteps !== 'function') return undefined;
  const { warmup, after } = scheduler.phasesInSteps();
  const total = warmup + after.reduce((sum, p) => sum + p.steps, 0);
  if (warmup > c.trainIters) {
    return `is ${c.trainIters}, but scheduler.warmupSteps is ${warmup}: the warmup is longer than training (at most ${countText(c.trainIters)}); lower scheduler.warmupSteps or raise trainIters`;
  }
  if (total > c.trainIters) {
    const parts = [`warmupSteps ${warmup}`, ...after.map((p) => `${p.setting} ${p.steps}`)].join(' + ');
    return `is ${c.trainIters}, but the scheduler's phases take ${total} steps (scheduler.${parts}); shorten them or raise trainIters`;
  }
  return undefined;
}

/**
 * Settings of the training loop, the top level of a recipe. Component sections (`data`,
 * `model`, `optimizer`, ...) are validated against the config class of their chosen `type`.
 */
export class TrainerConfig extends ComponentConfig {
  /** Seed of every random choice in the run (init, shuffling, dropout, synthetic data); the generator takes 32 bits. */
  @IsInt()
  @Min(0)
  @Max(MAX_SEED)
  seed = 42;

  /** Passes over the training data. */
  @HumanNumber()
  @IsCount({ min: 1 })
  epochs = 1;

  /** Examples per micro-batch (one forward/backward). */
  @HumanNumber()
  @IsCount({ min: 1 })
  microBatchSize = 8;

  /** Micro-batches whose gradients are averaged into one optimizer step. */
  @HumanNumber()
  @IsCount({ min: 1 })
  gradientAccumulationSteps = 1;

  /** Stop after this many optimizer steps (caps the training horizon); a scheduler's warmup must end before it. */
  @IsOptional()
  @HumanNumber()
  @IsCount({ min: 1, allowPercent: true })
  @ConfigRule('scheduleFitsTrainIters', scheduleProblem, { wholeRecipe: true })
  trainIters?: Count;

  /** Stop (saving a checkpoint) when this optimizer step is reached, as a preemption would. */
  @IsOptional()
  @HumanNumber()
  @IsCount({ min: 1 })
  exitIteration?: number;

  /**
   * Parameters to keep fixed (fine-tuning): globs over whole weight names, e.g. `embed.*`, `blocks.0.*`
   * (`*` any run, dots included; `?` one character). Frozen weights get no gradient, optimizer state or
   * weight decay and are still saved. Each pattern must match a parameter, and one must stay trainable.
   */
  @IsArray()
  @IsString({ each: true })
  freeze: string[] = [];

  /** Clip gradients to this global L2 norm before each update; 0 turns clipping off. */
  @IsNumber()
  @Min(0)
  maxGradNorm = 1;

  /** Log training metrics every N optimizer steps. */
  @HumanNumber()
  @IsCount({ min: 1 })
  logInterval = 10;

  /** Evaluate every N optimizer steps (or a percentage of the horizon); 0 = only at the end. */
  @HumanNumber()
  @IsCount({ allowPercent: true })
  evalInterval: Count = 0;

  /** Evaluate once more when training ends. */
  @IsBoolean()
  evalAtEnd = true;

  /** At most this many eval batches per evaluation (all when unset). */
  @IsOptional()
  @HumanNumber()
  @IsCount({ min: 1 })
  evalMaxBatches?: number;

  /** Run folder (relative to the working directory); default `runs/<recipe name>`. */
  @IsOptional()
  @IsPath()
  outputDir?: string;

  /**
   * Start over when outputDir holds an earlier run: its checkpoints, metrics, TensorBoard events,
   * status and report are deleted first (other files stay). Default false: a fresh run in such a
   * folder is an error, so two runs never mix; `--resume` or `autoResume` continue it instead.
   */
  @IsBoolean()
  overwriteOutputDir = false;

  /** tfjs backend: a name, or `{ name, threads }`. */
  // Custom transforms run after @Type, so the string form must become a BackendConfig here (or it skips validation).
  // Any other non-mapping (a list, a number, null) is taken as a name too, so it is refused naming the choices
  // (a list passed @ValidateNested as an empty list of configs and failed at startup).
  @Transform(({ value }) => (value instanceof BackendConfig ? value : plainToInstance(BackendConfig, { name: value })))
  @ValidateNested()
  @Type(() => BackendConfig)
  backend: BackendConfig = new BackendConfig();

  /** Data parallelism: `{ backend: auto|threads|mpi|none, workers: auto|N }`, or just the backend name. */
  @Transform(({ value }) => (value instanceof DistributedConfig ? value : plainToInstance(DistributedConfig, { backend: value })))
  @ValidateNested()
  @Type(() => DistributedConfig)
  distributed: DistributedConfig = new DistributedConfig();

  /** Print only warnings and errors (no progress output). */
  @IsBoolean()
  quiet = false;

  /** Progress display: `bar` (terminal; plain lines elsewhere), `lines` (one line per log, for CI and files), `none`; `auto` picks by TTY. */
  @IsIn(['auto', 'bar', 'lines', 'none'])
  progress: ProgressMode = 'auto';

  /** Append per-log-step and per-evaluation metrics to metrics.jsonl in the run folder. */
  @IsBoolean()
  metricsLog = true;

  /** Write TensorBoard event files (train/loss, train/lr, eval/...) into the run folder. */
  @IsBoolean()
  tensorboard = true;

  /** Keep status.json (state, step, loss, eval, ETA, checkpoint, error) current in the run folder. */
  @IsBoolean()
  status = true;

  /** Rewrite status.json every N optimizer steps. */
  @HumanNumber()
  @IsCount({ min: 1 })
  statusInterval = 10;

  /** Stop cleanly (finish the step, save, status `stopped`) when this file appears; relative to the run folder. */
  @IsOptional()
  @IsPath()
  killSwitchFile?: string;

  /** On SIGINT/SIGTERM finish the step, save a checkpoint and stop; a second signal exits at once. */
  @IsBoolean()
  handleSignals = true;

  /** On a NaN/Inf loss or gradient: `stop` the run (keeping the last good checkpoint) or `skip` that update. */
  @IsIn(['stop', 'skip'])
  nonFinite: NonFinitePolicy = 'stop';

  /** Under `nonFinite: skip`, fail the run when more than this many updates in a row are skipped (0: never). */
  @IsInt()
  @Min(0)
  nonFiniteSkipLimit = 20;

  /** Write report.html and loss/lr/eval charts (SVG and PNG) into the run folder when training ends (also when it failed after its first step). */
  @IsBoolean()
  report = true;

  /** Free text describing the recipe. */
  @IsOptional()
  @IsString()
  description?: string;

  /** Tokenizer factory config (`tokenizer:`). */
  tokenizer!: TokenizerConfig;
  /** Data factory config (`data:`). */
  data!: DataConfig;
  /** Model factory config (`model:`). */
  model!: ModelConfig;
  /** Optimizer factory config (`optimizer:`). */
  optimizer!: OptimizerConfig;
  /** Scheduler factory config (`scheduler:`). */
  scheduler!: SchedulerConfig;
  /** Checkpoint engines (`checkpoint:`, a list). */
  checkpoint!: CheckpointConfig[];
  /** Extra callbacks (`callbacks:`, a list). */
  callbacks!: CallbackConfig[];
}

/** Top-level recipe keys consumed while loading, not by the trainer. */
export const RECIPE_META_KEYS = ['extends', 'code', 'plugins'] as const;

