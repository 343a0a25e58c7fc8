import { TrainingError } from '../errors';

/**
 * Notices an override of `step()` (or `epoch()`) that calls `super.step(batch)` without awaiting
 * it. An `epoch()` one let the run finish, save and report while the epoch still trained. The epoch
 * loop disposes each batch as soon as `step()` returns, so the base step, still running, then
 * failed on a disposed batch with tfjs's "Cannot read properties of undefined (reading
 * 'backend')" as an unhandled rejection that killed the process with no status written.
 */
export class StepWatch {
  private running?: Promise<void>;
  private settled = true;

  constructor(
    /** The watched method, the call an override must await, and why it must. */
    private readonly watched: { method: string; superCall: string; why: string } = {
      method: 'step',
      superCall: 'super.step(batch)',
      why: 'the batch is disposed as soon as step() returns',
    },
  ) {}

  /** Follows one run of the base `step()`; its rejection is still the caller's to handle. */
  track(run: Promise<void>): Promise<void> {
    this.settled = false;
    // Attached before any caller's await, so it has run by the time an awaiting caller resumes.
    this.running = run.then(
      () => void (this.settled = true),
      () => void (this.settled = true),
    );
    return run;
  }

  /**
   * Called right after the trainer's method returned: when the base method is still running,
   * waits for it (so it does not fail on a disposed batch or model) and throws, naming the class.
   */
  async check(owner: string): Promise<void> {
    if (this.settled) return;
    await this.running;
    const { method, superCall, why } = this.watched;
    throw new TrainingError(`${owner}.${method}() returned while ${superCall} was still running: write 'await ${superCall}' (${why})`);
  }
}
