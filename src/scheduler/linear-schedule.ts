import { DecayingScheduleOptions, LrSchedule } from './lr-schedule';
import { checkStep, resolveMinLr, resolveWarmup, ScheduleChecks, warmupFactor } from './schedule-checks';

/** Options of {@link linearSchedule}. */
export type LinearScheduleOptions = DecayingScheduleOptions;

/**
 * Linear warmup to `peakLr`, then linear decay to `minLr` at step `totalSteps`:
 * for `step >= W`, `lr = minLr + (peakLr - minLr) * (1 - p)` with `p = min(1, (step - W) / (T - W))`.
 * The decay is HF's `get_linear_schedule_with_warmup` curve, so the last step (T - 1) still gets
 * a small non-zero lr; step W (like W - 1) gets the peak.
 */
export function linearSchedule(options: LinearScheduleOptions): LrSchedule {
  const checks = new ScheduleChecks();
  const warmup = resolveWarmup(options, checks);
  checks.require(options.totalSteps !== undefined, 'totalSteps', 'is required');
  const minLr = resolveMinLr(options, checks);
  checks.throwIfAny('linear');
  const peak = options.peakLr;
  const decaySteps = options.totalSteps - warmup;
  return (step) => {
    checkStep(step);
    if (step < warmup) return peak * warmupFactor(step, warmup);
    const p = decaySteps === 0 ? 1 : Math.min(1, (step - warmup) / decaySteps);
    return minLr + (peak - minLr) * (1 - p);
  };
}
