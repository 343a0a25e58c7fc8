/**
 * The only way callbacks change the flow of training. The trainer reads and resets these flags
 * after each hook round.
 */
export class TrainerControl {
  /** Stop after the current optimizer step (a checkpoint is saved if engines save at the end). */
  shouldStop = false;
  /** Save a checkpoint after the current step. */
  shouldSave = false;
  /** Evaluate after the current step. */
  shouldEvaluate = false;
  /** Log metrics after the current step. */
  shouldLog = false;
  /** Why training was stopped, for the status file and the result. */
  stopReason?: string;

  /** Requests a stop with a reason. */
  stop(reason: string): void {
    this.shouldStop = true;
    this.stopReason ??= reason;
  }
}
