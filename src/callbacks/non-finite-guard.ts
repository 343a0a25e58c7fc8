import * as tf from '@tensorflow/tfjs';
import { FloeError } from '../errors';

/** What to do when a loss or gradient is NaN or infinite: stop the run, or skip that update. */
export type NonFinitePolicy = 'stop' | 'skip';

/** The non-finite policies, default first. */
export const NON_FINITE_POLICIES: readonly NonFinitePolicy[] = ['stop', 'skip'];

/** Training produced a NaN or infinite loss or gradient (policy `stop`). */
export class NonFiniteError extends FloeError {
  constructor(
    /** `loss` or `gradient norm`. */
    readonly what: string,
    /** The non-finite value (NaN, Infinity or -Infinity). */
    readonly value: number,
    /** The optimizer step that produced it (1-based, as logged). */
    readonly step: number,
    lastGoodCheckpoint: string | undefined,
  ) {
    const kept = lastGoodCheckpoint === undefined ? 'no checkpoint had been saved yet' : `the last good checkpoint is ${lastGoodCheckpoint}`;
    super(
      `Non-finite ${what} (${value}) at step ${step}. Training stopped without saving a checkpoint after it; ${kept}. ` +
        'Try a lower learning rate or gradient clipping (maxGradNorm), or set nonFinite: skip to skip such updates.',
    );
  }
}

/** Too many updates in a row were skipped for a non-finite gradient (policy `skip`): the run is not training. */
export class NonFiniteSkipsError extends FloeError {
  constructor(
    /** Consecutive skipped updates. */
    readonly skipped: number,
    /** The last of them (1-based, as logged). */
    readonly step: number,
    lastCheckpoint: string | undefined,
  ) {
    const kept = lastCheckpoint === undefined ? 'no checkpoint had been saved yet' : `the last checkpoint is ${lastCheckpoint}`;
    super(
      `${skipped} updates in a row (steps ${step - skipped + 1} to ${step}) had a non-finite gradient norm and were skipped (nonFinite: skip): ` +
        `the weights have not changed since step ${step - skipped}, so training is not progressing. Stopped; ${kept}. ` +
        'Try a lower learning rate or gradient clipping (maxGradNorm), check the data, or raise nonFiniteSkipLimit (0: never stop).',
    );
  }
}

/**
 * Watches losses and gradient norms for NaN/Inf without a synchronous read in the hot loop.
 *
 * Trade-off: each watched scalar gets a non-blocking `data()` read started when the value is
 * made; the result lands while the next hooks and the next step run, and {@link check} (free,
 * synchronous) reports it at the next step boundary — in practice the same step on Node's eager
 * backends, at worst a step or two later on an asynchronous one. Those extra steps only touch
 * weights that are already poisoned, and nothing is lost because {@link settle} waits for every
 * outstanding read before a checkpoint is written: a checkpoint after a non-finite step is never
 * saved. Skipping a bad update (`nonFinite: skip`) needs the answer *before* the update, so it
 * costs one awaited read of the gradient norm per optimizer step ({@link isFinite}).
 */
export class NonFiniteGuard {
  private readonly pending = new Set<Promise<void>>();
  private found?: { what: string; value: number; step: number };
  private readonly dropped = new Set<number>();
  private consecutiveSkips = 0;

  constructor(private readonly lastCheckpoint: () => string | undefined) {}

  /** Starts a non-blocking read of `value` (not owned: keep it alive until the next log, as the metric tracker does). */
  watch(what: string, value: tf.Scalar, step: number): void {
    const probe = value
      .data()
      .then(([v]) => {
        if (!Number.isFinite(v) && !this.dropped.has(step) && (this.found === undefined || step < this.found.step)) this.found = { what, value: v, step };
      })
      .catch(() => undefined)
      .finally(() => this.pending.delete(probe));
    this.pending.add(probe);
  }

  /**
   * Forgets what was watched for `step`, a step whose accumulation cycle was dropped (a stop
   * before its optimizer step): no update used those losses, so a NaN among them stops nothing,
   * whether its read has finished or lands later.
   */
  dropStep(step: number): void {
    this.dropped.add(step);
    if (this.found?.step === step) this.found = undefined;
  }

  /** Throws {@link NonFiniteError} if a finished read saw a non-finite value. Synchronous and free. */
  check(): void {
    if (this.found !== undefined) throw new NonFiniteError(this.found.what, this.found.value, this.found.step, this.lastCheckpoint());
  }

  /** Waits for every outstanding read, then {@link check}s (before a checkpoint is written). */
  async settle(): Promise<void> {
    await Promise.all([...this.pending]);
    this.check();
  }

  /**
   * Counts updates skipped in a row (policy `skip`); throws {@link NonFiniteSkipsError} when the
   * count passes `limit` (0: no limit). A run whose every update is skipped would otherwise end
   * `finished`, saving the same weights again and again.
   */
  countSkip(skipped: boolean, step: number, limit: number): void {
    this.consecutiveSkips = skipped ? this.consecutiveSkips + 1 : 0;
    if (limit > 0 && this.consecutiveSkips > limit) throw new NonFiniteSkipsError(this.consecutiveSkips, step, this.lastCheckpoint());
  }

  /** Reads `value` now: true when it is finite (policy `skip`, before the update). */
  async isFinite(value: tf.Scalar): Promise<boolean> {
    const [v] = await value.data();
    return Number.isFinite(v);
  }
}
