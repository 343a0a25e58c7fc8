import { BaseScheduleOptions, LrSchedule } from './lr-schedule';
import { checkStep, resolveWarmup, ScheduleChecks, warmupFactor } from './schedule-checks';

/** Options of {@link inverseSqrtSchedule}. */
export interface InverseSqrtScheduleOptions extends BaseScheduleOptions {
  /** Time scale of the decay in steps. Default: the warmup length, or 10000 without warmup (as HF). */
  timescale?: number;
}

/**
 * Linear warmup, then `lr = peakLr / sqrt((step + timescale - W) / timescale)` (HF's
 * `get_inverse_sqrt_schedule`): the peak at step W, and `peakLr * sqrt(W / step)` with the default
 * timescale. Needs no training horizon unless `warmupRatio` is used.
 */
export function inverseSqrtSchedule(options: InverseSqrtScheduleOptions): LrSchedule {
  const checks = new ScheduleChecks();
  const warmup = resolveWarmup(options, checks);
  const timescale = options.timescale ?? (warmup > 0 ? warmup : 10_000);
  checks.require(Number.isFinite(timescale) && timescale > 0, 'timescale', `must be a finite number > 0, got ${timescale}`);
  checks.throwIfAny('inverse-sqrt');
  const peak = options.peakLr;
  const shift = timescale - warmup;
  return (step) => {
    checkStep(step);
    if (step < warmup) return peak * warmupFactor(step, warmup);
    return peak / Math.sqrt((step + shift) / timescale);
  };
}
