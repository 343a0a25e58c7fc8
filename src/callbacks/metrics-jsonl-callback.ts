import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { register } from '../registry/register';
import { Callback, CallbackConfig, Metrics } from './callback';
import { RunClock } from './run-clock';
import { JsonlWriter } from './writers/jsonl-writer';
import { supersedeRecordsAfter } from './writers/supersede-records';
import { fsErrorReason } from '../errors/fs-error-reason';
import { IsPath } from '../config/is-path';
import { isPartialWindow } from '../trainer/train-log-record';

/** Config of the `metrics-jsonl` callback. */
export class MetricsJsonlConfig extends CallbackConfig {
  /** File to append to, relative to the run folder. */
  @IsPath()
  file = 'metrics.jsonl';
}

/** Memory use at a log step. */
export interface MemoryRecord {
  /** Live tfjs tensors. */
  numTensors: number;
  /** Bytes held by live tfjs tensors. */
  numBytes: number;
  /** Resident set size of the process, in bytes. */
  rss: number;
}

/** One line of `metrics.jsonl` for a log step (`event: 'train'`) or an evaluation (`event: 'eval'`). */
export interface MetricsRecord {
  /** `train` for a log step, `eval` for an evaluation. */
  event: 'train' | 'eval';
  /** Optimizer step. */
  step: number;
  /** Epoch, from 0. */
  epoch: number;
  /** Seconds since this process started training. */
  elapsed: number;
  /** ISO wall-clock time. */
  time: string;
  /** Mean training loss over the steps since the last log, weighted by each micro-batch's loss tokens (as one big batch would be). */
  loss?: number;
  /** Learning rate the last step (this record's `step`) was taken with. */
  lr?: number;
  /** Global gradient norm of the last step, before clipping. */
  gradNorm?: number;
  /** Real (non-padding) tokens per second of training time since the last log; evaluation and checkpoint time left out. Absent when batches carry no token count (tabular data). */
  tokensPerSec?: number;
  /** Examples per second of training time since the last log; evaluation and checkpoint time left out. */
  samplesPerSec?: number;
  /** Optimizer steps the record's `loss` and throughput cover (`logInterval`, or fewer in a partial window). */
  windowSteps?: number;
  /**
   * True when the window covers fewer than `logInterval` steps: the last window of a run that
   * ended, or failed, between two log steps (a failed run's covers the steps completed before the
   * failure), the first after a resume off the interval, or one a callback asked for early.
   */
  partial?: true;
  /** Memory use at this log step. */
  memory?: MemoryRecord;
  /** Evaluation metrics (`eval/loss`, ...) are top-level keys too. */
  [metric: string]: unknown;
}

/**
 * Appends one JSON line per log step (loss, lr, grad norm, throughput, memory) and per evaluation
 * to `metrics.jsonl`; a run that fails between log steps still gets a line for the steps it
 * completed, marked `partial`. A resumed run appends to the same file, after moving the records the earlier
 * run logged past the resumed checkpoint's step (an abandoned timeline) to
 * `metrics.superseded.jsonl`: the file keeps one record per step, in step order.
 */
@register()
export class MetricsJsonlCallback extends Callback<MetricsJsonlConfig> {
  static override readonly type: string = 'metrics-jsonl';
  static override readonly configType = MetricsJsonlConfig;

  private writer?: JsonlWriter;
  private readonly clock = new RunClock();

  /** Absolute path of the metrics file. */
  get file(): string {
    return path.resolve(this.trainer.context.outputDir, this.config.file);
  }

  override async onTrainBegin(): Promise<void> {
    const step = this.trainer.globalStep;
    this.clock.start(step);
    const superseded = await supersedeRecordsAfter(this.file, step).catch((error: Error) => {
      // The records then stay (readers keep the last record of a step); training goes on.
      this.trainer.logger.warn(`could not move the records after step ${step} out of ${this.file}: ${fsErrorReason(error)}`);
      return undefined;
    });
    if (superseded !== undefined) {
      const where = path.relative(process.cwd(), superseded.file) || superseded.file;
      this.trainer.logger.info(`metrics: ${superseded.moved} record${superseded.moved === 1 ? '' : 's'} logged after step ${step} by the run before this resume moved to ${where}`);
    }
    this.writer = await JsonlWriter.open(this.file);
  }

  override async onLog(metrics: Metrics): Promise<void> {
    const memory = tf.memory();
    await this.write({
      ...this.base('train'),
      ...metrics,
      ...(isPartialWindow(metrics, this.trainer.config.logInterval) ? { partial: true } : {}),
      memory: { numTensors: memory.numTensors, numBytes: memory.numBytes, rss: process.memoryUsage().rss },
    });
  }

  override async onEvaluate(metrics: Metrics): Promise<void> {
    if (Object.keys(metrics).length === 0) return;
    await this.write({ ...this.base('eval'), ...metrics });
  }

  override async onTrainEnd(): Promise<void> {
    await this.dispose();
  }

  override async dispose(): Promise<void> {
    const writer = this.writer;
    this.writer = undefined;
    await writer?.close();
  }

  private base(event: MetricsRecord['event']): MetricsRecord {
    return { event, step: this.trainer.globalStep, epoch: this.trainer.epochIndex, elapsed: round3(this.clock.elapsedSec), time: new Date().toISOString() };
  }

  private async write(record: MetricsRecord): Promise<void> {
    await this.writer?.write(record);
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
