import type { Metrics } from '../callbacks/callback';
import type { MetricTracker } from './metric-tracker';
import { trainLogRecord } from './train-log-record';
import type { TrainerState } from './trainer-state';

/** What the log window held when its last optimizer step completed. */
export interface CompletedStepFigures {
  /** Loss values tracked for the window's completed steps (the ones a half-done accumulation cycle added come after). */
  losses: number;
  /** Learning rate the step was taken with. */
  lr: number;
  /** Tokens the window's completed steps trained on. */
  tokens: number;
  /** Examples the window's completed steps trained on. */
  samples: number;
  /** Training seconds up to the end of the step. */
  seconds: number;
}

/**
 * The optimizer steps of the current log window: the step the last log record was made at, and
 * what the window held when its last step completed. A run that fails mid-step logs only its
 * completed steps from these figures: the failing step's micro-batches (a loss, tokens, time)
 * belong to no step.
 */
export class LogWindowSteps {
  private loggedStep = 0;
  private figures: CompletedStepFigures = { losses: 0, lr: 0, tokens: 0, samples: 0, seconds: 0 };

  /** Opens the first window after `step` (0, or the step a resumed run starts from). */
  start(step: number): void {
    this.close(step);
  }

  /** Records the figures at the end of a completed optimizer step. */
  stepDone(figures: CompletedStepFigures): void {
    this.figures = figures;
  }

  /** A log record was made at `step`: the next window starts after it. */
  close(step: number): void {
    this.loggedStep = step;
    this.figures = { losses: 0, lr: this.figures.lr, tokens: 0, samples: 0, seconds: 0 };
  }

  /** Optimizer steps completed since the last log record, when `step` is the current step. */
  stepsTo(step: number): number {
    return step - this.loggedStep;
  }

  /**
   * Disposes the loss values `metrics` holds for micro-batches of a step that never completed (a
   * failure or a stop mid accumulation cycle); returns the figures of the window's completed steps.
   */
  dropUnfinished(metrics: MetricTracker): CompletedStepFigures {
    metrics.truncate('loss', this.figures.losses);
    return this.figures;
  }

  /**
   * The log record of the steps completed since the last one, read from `metrics` (emptied; the
   * loss values a step that never completed added are dropped); undefined when no step completed.
   */
  async completedRecord(metrics: MetricTracker, state: TrainerState): Promise<Metrics | undefined> {
    const windowSteps = this.stepsTo(state.globalStep);
    const { lr, tokens, samples, seconds } = this.dropUnfinished(metrics);
    if (windowSteps <= 0 || metrics.count('loss') === 0) return undefined;
    const { mean, last } = await metrics.flush();
    return trainLogRecord(state, { lr, gradNorm: last.gradNorm, window: { loss: mean.loss, tokens, samples }, seconds, windowSteps });
  }
}
