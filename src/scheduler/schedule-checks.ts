import { ConfigError, ConfigIssue, TrainingError } from '../errors';
import { BaseScheduleOptions, DecayingScheduleOptions } from './lr-schedule';

/** Collects option problems of one schedule so all are reported at once. */
export class ScheduleChecks {
  /** Problems found so far. */
  readonly issues: ConfigIssue[] = [];

  /** Records a problem at `path` unless `ok`. */
  require(ok: boolean, path: string, message: string): this {
    if (!ok) this.issues.push({ path, message });
    return this;
  }

  /** Throws a `ConfigError` naming the schedule kind if any problem was recorded. */
  throwIfAny(kind: string): void {
    if (this.issues.length > 0) throw new ConfigError(this.issues, `Invalid '${kind}' schedule options`);
  }
}

/**
 * Rounds a fractional step count up, ignoring float noise: `0.07 * 100` is `7.000000000000001`,
 * which a bare `Math.ceil` (as HF does) would turn into 8 steps.
 */
export function ceilSteps(x: number): number {
  return Math.ceil(x - Math.max(1e-9, Math.abs(x) * 1e-12));
}

function isCount(n: number): boolean {
  return Number.isInteger(n) && n >= 0;
}

/**
 * Validates the common options and resolves the warmup length in steps:
 * `warmupSteps`, or `ceil(warmupRatio * totalSteps)` (HF's rounding), or 0.
 */
export function resolveWarmup(o: BaseScheduleOptions, checks: ScheduleChecks): number {
  checks.require(Number.isFinite(o.peakLr) && o.peakLr >= 0, 'peakLr', `must be a finite number >= 0, got ${o.peakLr}`);
  if (o.totalSteps !== undefined) checks.require(isCount(o.totalSteps) && o.totalSteps > 0, 'totalSteps', `must be an integer > 0, got ${o.totalSteps}`);
  checks.require(o.warmupSteps === undefined || o.warmupRatio === undefined, 'warmupRatio', 'give warmupSteps or warmupRatio, not both');
  let warmup = 0;
  if (o.warmupSteps !== undefined) {
    checks.require(isCount(o.warmupSteps), 'warmupSteps', `must be an integer >= 0, got ${o.warmupSteps}`);
    warmup = o.warmupSteps;
  } else if (o.warmupRatio !== undefined) {
    checks.require(Number.isFinite(o.warmupRatio) && o.warmupRatio >= 0 && o.warmupRatio <= 1, 'warmupRatio', `must be in [0, 1], got ${o.warmupRatio}`);
    checks.require(o.totalSteps !== undefined, 'totalSteps', 'is required with warmupRatio');
    warmup = ceilSteps(o.warmupRatio * (o.totalSteps ?? 0));
  }
  if (o.totalSteps !== undefined) checks.require(warmup <= o.totalSteps, 'warmupSteps', `warmup (${warmup}) exceeds totalSteps (${o.totalSteps})`);
  return warmup;
}

/** Validates `minLr` / `minLrRatio` and returns the absolute floor (default 0). */
export function resolveMinLr(o: DecayingScheduleOptions, checks: ScheduleChecks): number {
  checks.require(o.minLr === undefined || o.minLrRatio === undefined, 'minLr', 'give minLr or minLrRatio, not both');
  if (o.minLr !== undefined) {
    checks.require(Number.isFinite(o.minLr) && o.minLr >= 0 && o.minLr <= o.peakLr, 'minLr', `must be in [0, peakLr], got ${o.minLr}`);
    return o.minLr;
  }
  const ratio = o.minLrRatio ?? 0;
  checks.require(Number.isFinite(ratio) && ratio >= 0 && ratio <= 1, 'minLrRatio', `must be in [0, 1], got ${ratio}`);
  return ratio * o.peakLr;
}

/**
 * Warmup factor for 0-based `step < warmup`: `(step + 1) / warmup`, so the first update already
 * gets `peakLr / warmup` (not 0, unlike HF/PyTorch's `step / warmup`) and step `warmup - 1` gets
 * the peak.
 */
export function warmupFactor(step: number, warmup: number): number {
  return (step + 1) / warmup;
}

/** Throws on a step that is not a finite number >= 0 (a bug in the caller's loop). */
export function checkStep(step: number): void {
  if (!Number.isFinite(step) || step < 0) throw new TrainingError(`Schedule step must be a finite number >= 0, got ${step}.`);
}

/** `1 step`, `5 steps`, `1 optimizer step`: a count with its noun, for messages. */
export function countText(n: number, noun = 'step'): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
