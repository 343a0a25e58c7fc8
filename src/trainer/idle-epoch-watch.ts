import { Logger } from '../logging/logger';

/**
 * Notices an epoch that ran batches but made no optimizer step because `step()` never reached the
 * base one: an override that forgot `await super.step(batch)` otherwise ended the run with
 * `done: 0 steps` and no word why. Progress is the trainer's `globalStep` plus the optimizer's
 * `stepCount`, so a `step()` that updates the weights itself (`this.optimizer.applyGradients`) is
 * not warned about, nor one that skips some batches and calls the base step for the others.
 * Warns once per run.
 */
export class IdleEpochWatch {
  private batches = 0;
  private baseSteps = 0;
  private startProgress = 0;
  private warned = false;

  /** Called as an epoch starts, with the trainer's progress (`globalStep` + optimizer `stepCount`). */
  begin(progress: number): void {
    this.batches = 0;
    this.baseSteps = 0;
    this.startProgress = progress;
  }

  /** One batch went through the trainer's `step()`. */
  batchRan(): void {
    this.batches++;
  }

  /** The base `step()` ran for one micro-batch. */
  baseStepRan(): void {
    this.baseSteps++;
  }

  /** Called as the epoch ends: warns when batches ran but neither the base step nor an optimizer step did. */
  check(options: { owner: string; progress: number; logger: Logger }): void {
    if (this.warned || this.batches === 0 || this.baseSteps > 0 || options.progress !== this.startProgress) return;
    this.warned = true;
    const { owner } = options;
    options.logger.warn(
      `${owner}.step() ran ${this.batches} batch${this.batches === 1 ? '' : 'es'} this epoch but made no optimizer step: ` +
        `call 'await super.step(batch)' in ${owner}.step() (or update the weights yourself with this.optimizer.applyGradients); ` +
        'until then the model does not train',
    );
  }
}
