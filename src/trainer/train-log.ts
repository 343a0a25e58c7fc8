import * as tf from '@tensorflow/tfjs';
import type { Metrics } from '../callbacks/callback';
import { CompletedStepFigures, LogWindowSteps } from './log-window-steps';
import type { MetricTracker } from './metric-tracker';
import { pluginClassesOf, TensorGrowthWatch, tensorGrowthWarning } from './tensor-growth-watch';
import { ThroughputWindow } from './throughput-window';
import { trainLogRecord } from './train-log-record';
import type { Trainer } from './trainer';

/**
 * The train records of a run: the current log window (throughput, the optimizer steps it covers)
 * and the records made from it, regular or after a failure, reported to every callback. The
 * trainer decides when a record is due; this assembles and reports it.
 */
export class TrainLog {
  private readonly window = new ThroughputWindow();
  private readonly steps = new LogWindowSteps();
  private readonly tensorGrowth = new TensorGrowthWatch();

  constructor(
    private readonly trainer: Trainer,
    /** The trainer's pending metrics: a loss per micro-batch, a gradient norm per step. */
    private readonly metrics: MetricTracker,
  ) {}

  /** Opens the first window after `step` (0, or the step a resumed run starts from). */
  start(step: number): void {
    this.steps.start(step);
  }

  /** Counts one micro-batch's tokens and samples. */
  addMicroBatch(tokens: number, samples: number): void {
    this.window.add(tokens, samples);
  }

  /** An optimizer step completed with learning rate `lr`: a failure or a stop after it logs up to here. */
  stepDone(lr: number): void {
    const { tokens, samples, seconds } = this.window;
    this.steps.stepDone({ losses: this.metrics.count('loss'), lr, tokens, samples, seconds });
  }

  /** Optimizer steps completed since the last record. */
  get windowSteps(): number {
    return this.steps.stepsTo(this.trainer.state.globalStep);
  }

  /** Runs `work` (an evaluation, a save) without counting its time as training time. */
  excluding<T>(work: () => Promise<T>): Promise<T> {
    return this.window.excluding(work);
  }

  /** Drops the pending losses of a cycle that never completed; returns the figures of the window's completed steps. */
  dropUnfinished(): CompletedStepFigures {
    return this.steps.dropUnfinished(this.metrics);
  }

  /**
   * Reads the pending metrics in one batch and reports them; `completed` (the figures of the
   * window's completed steps) replaces the throughput window's when a dropped cycle is left out.
   */
  async log(completed?: CompletedStepFigures): Promise<void> {
    const t = this.trainer;
    const { mean, last } = await this.metrics.flush();
    const own = await t.trainLogMetrics();
    // Counted with the step's metrics freed: what is left over grows only if something leaks.
    const growth = this.tensorGrowth.check(t.state.globalStep, tf.memory().numTensors);
    if (growth !== undefined) t.logger.warn(tensorGrowthWarning(growth, pluginClassesOf(t)));
    const { tokens, samples, seconds } = completed ?? { tokens: this.window.tokens, samples: this.window.samples, seconds: this.window.seconds };
    // Data parallel: the loss over every rank's micro-batches, the throughput of all ranks.
    const window = await t.dp.reduceWindow({ loss: mean.loss, tokens, samples });
    await this.report({ ...trainLogRecord(t.state, { lr: t.lr, gradNorm: last.gradNorm, window, seconds, windowSteps: this.windowSteps }), ...own });
  }

  /**
   * After a failure, logs the steps completed since the last log record (not the failing step's
   * own micro-batches), so metrics.jsonl and TensorBoard keep them. No collectives (data parallel,
   * this rank's figures); a callback failing again only warns: the caller gets the run's error.
   */
  async logCompletedSteps(): Promise<void> {
    const step = this.trainer.state.globalStep;
    const first = step - this.windowSteps + 1;
    const warn = (error: unknown): void => this.trainer.logger.warn(`could not log steps ${first}-${step} before the failure: ${error instanceof Error ? error.message : String(error)}`);
    try {
      const record = await this.steps.completedRecord(this.metrics, this.trainer.state);
      if (record !== undefined) await this.report(record, warn);
    } catch (error) {
      warn(error);
    }
  }

  /** Reports a log record to every callback (past those that throw, with `onError`); the next window starts. */
  private async report(record: Metrics, onError?: (error: unknown) => void): Promise<void> {
    const t = this.trainer;
    this.window.reset();
    this.steps.close(t.state.globalStep);
    Object.assign(t.lastMetrics, record);
    await (onError === undefined ? t.callbackList.log(record) : t.callbackList.logEach(record, onError));
  }
}
