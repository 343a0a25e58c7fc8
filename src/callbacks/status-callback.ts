import * as os from 'os';
import * as path from 'path';
import { IsInt, Min } from 'class-validator';
import { makeFolder } from '../checkpoint/io/make-folder';
import { HumanNumber } from '../config/human-number';
import { fsErrorReason } from '../errors/fs-error-reason';
import { register } from '../registry/register';
import type { Trainer } from '../trainer/trainer';
import { Callback, CallbackConfig, Metrics } from './callback';
import { RunClock } from './run-clock';
import { TrainerControl } from './trainer-control';
import { StatusFileWriter } from './writers/status-file-writer';
import { IsPath } from '../config/is-path';

/** Config of the `status` callback. */
export class StatusConfig extends CallbackConfig {
  /** File to keep current, relative to the run folder. */
  @IsPath()
  file = 'status.json';

  /** Rewrite the file every N optimizer steps (it is also written at start and end). */
  @HumanNumber()
  @IsInt()
  @Min(1)
  interval = 10;
}

/** State of a run as the status file reports it. */
export type RunState = 'running' | 'finished' | 'stopped' | 'failed';

/** The document in `status.json`. */
export interface RunStatusFile {
  /** `running`, `finished`, `stopped` or `failed`. */
  state: RunState;
  /** Optimizer steps done. */
  step: number;
  /** Optimizer steps the run will make in all. */
  totalSteps: number;
  /** Current epoch, from 0. */
  epoch: number;
  /** Epochs the recipe asks for. */
  epochs: number;
  /** Mean training loss of the last logged window. */
  loss?: number;
  /** Learning rate of the last logged step. */
  lr?: number;
  /** Last evaluation metrics (`eval/loss`, ...); `evalStep` says when they were taken. */
  eval?: Metrics;
  /** Optimizer step of the last evaluation. */
  evalStep?: number;
  /** Seconds this process has been training. */
  elapsedSec: number;
  /** Estimated seconds left, while running. */
  etaSec?: number;
  /** Newest resumable (floe) checkpoint folder, what `--resume` takes; the newest export when no engine is resumable. */
  checkpoint?: string;
  /** Why a `stopped` run stopped. */
  stopReason?: string;
  /** Error message of a `failed` run. */
  error?: string;
  /** Process id of the training process. */
  pid: number;
  /** Host name of the training process: with `pid`, tells a reader whether a `running` run is still alive. */
  host: string;
  /** When this process started training (ISO time). */
  startedAt: string;
  /** When the file was last written (ISO time). */
  updatedAt: string;
}

/**
 * Keeps `status.json` in the run folder current, replacing it atomically (a poller never reads a
 * torn file): at start, every `interval` steps, and at the end as `finished`, `stopped` or
 * `failed` with the error. Writes overlap with training; only the final one is awaited.
 */
@register()
export class StatusCallback extends Callback<StatusConfig> {
  static override readonly type: string = 'status';
  static override readonly configType = StatusConfig;

  private writer?: StatusFileWriter;
  private readonly clock = new RunClock();
  private startedAt = new Date().toISOString();
  private due = false;
  private fields: Partial<RunStatusFile> = {};
  private warned = false;

  /** Absolute path of the status file. */
  get file(): string {
    return path.resolve(this.trainer.context.outputDir, this.config.file);
  }

  override async onTrainBegin(): Promise<void> {
    this.clock.start(this.trainer.globalStep);
    this.startedAt = new Date().toISOString();
    this.fields.checkpoint = this.trainer.lastCheckpointPath;
    // A `file` in a subfolder (`logs/status.json`): make the folder, as the metrics writers do.
    await makeFolder(path.dirname(this.file)).catch((error: Error) => this.warnOnce(error));
    this.write('running');
  }

  override async onStepBegin(): Promise<void> {
    // A due write waits for the step's log, evaluation and save, which run after onStepEnd.
    if (this.due) this.write('running');
  }

  override async onStepEnd(): Promise<void> {
    if (this.trainer.globalStep % this.config.interval === 0) this.due = true;
  }

  override async onLog(metrics: Metrics): Promise<void> {
    this.fields.loss = metrics.loss;
    this.fields.lr = metrics.lr;
  }

  override async onEvaluate(metrics: Metrics): Promise<void> {
    if (Object.keys(metrics).length === 0) return;
    this.fields.eval = { ...metrics };
    this.fields.evalStep = this.trainer.globalStep;
  }

  override async onSave(_dir: string): Promise<void> {
    // A weights-only export saved after a floe checkpoint is not what --resume needs.
    const checkpoint = this.trainer.lastCheckpointPath;
    if (checkpoint === this.fields.checkpoint) return;
    this.fields.checkpoint = checkpoint;
    // Written now, not at the next interval: after a kill -9 or a crash the file must name the
    // newest checkpoint (saves are rare, so this adds few writes).
    this.write('running');
  }

  override async onTrainEnd(control: TrainerControl): Promise<void> {
    this.fields.stopReason = control.stopReason;
    this.write(control.stopReason === undefined ? 'finished' : 'stopped');
    await this.writer?.flush();
  }

  /** Records a failure (called by `runJob` when training throws) and waits for the write. */
  async fail(error: unknown): Promise<void> {
    this.fields.error = errorMessage(error);
    this.write('failed');
    await this.writer?.flush();
  }

  /** Resolves once every status write so far is on disk. */
  async flush(): Promise<void> {
    await this.writer?.flush();
  }

  override async dispose(): Promise<void> {
    await this.flush();
  }

  /** The document as it would be written now. */
  snapshot(state: RunState): RunStatusFile {
    const t = this.trainer;
    const running = state === 'running';
    return {
      state,
      step: t.globalStep,
      totalSteps: t.trainingHorizon,
      epoch: t.epochIndex,
      epochs: t.config.epochs,
      ...this.fields,
      elapsedSec: round3(this.clock.elapsedSec),
      etaSec: running ? round3(this.clock.etaSec(t.globalStep, t.trainingHorizon)) : undefined,
      pid: process.pid,
      host: os.hostname(),
      startedAt: this.startedAt,
      updatedAt: new Date().toISOString(),
    };
  }

  private write(state: RunState): void {
    this.due = false;
    this.writer ??= new StatusFileWriter(this.file);
    // Not awaited: the atomic write (with fsync) overlaps with the next step. Order is kept by the writer.
    this.writer.write(this.snapshot(state) as unknown as Record<string, unknown>).catch((error: Error) => this.warnOnce(error));
  }

  private warnOnce(error: Error): void {
    if (this.warned) return;
    this.warned = true;
    this.trainer.logger.warn(`cannot write ${this.file}: ${fsErrorReason(error)}`);
  }
}

/**
 * Marks a run `failed` in its status file with the error's message: through the trainer's status
 * callback when it has one, else (setup failed before callbacks existed) by writing a fresh file.
 * Does nothing when the recipe turned the status file off.
 */
export async function writeFailedStatus(options: { trainer?: Trainer; outputDir: string; error: unknown; file?: string }): Promise<void> {
  const status = options.trainer?.callbackList?.find(StatusCallback);
  if (status !== undefined) return status.fail(options.error);
  if (options.trainer !== undefined && options.trainer.config.status === false) return;
  const now = new Date().toISOString();
  const file = options.file ?? path.join(options.outputDir, 'status.json');
  // A run that failed in setup has not made a moved status file's folder yet.
  await makeFolder(path.dirname(file));
  await new StatusFileWriter(file).write({
    state: 'failed',
    step: options.trainer?.globalStep ?? 0,
    error: errorMessage(options.error),
    pid: process.pid,
    updatedAt: now,
  });
}

/** Seconds to the millisecond, as elapsedSec is (undefined stays undefined). */
function round3<T extends number | undefined>(x: T): T {
  return (x === undefined ? x : Math.round(x * 1000) / 1000) as T;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
