import { DecayingScheduleOptions, LrSchedule } from './lr-schedule';
import { checkStep, resolveMinLr, resolveWarmup, ScheduleChecks, warmupFactor } from './schedule-checks';

/** Options of {@link cosineSchedule}. */
export type CosineScheduleOptions = DecayingScheduleOptions;

/**
 * Linear warmup to `peakLr`, then half a cosine down to `minLr` (= `minLrRatio * peakLr`) at step
 * `totalSteps`: for `step >= W`, `lr = minLr + (peakLr - minLr) * (1 + cos(pi * p)) / 2` with
 * `p = min(1, (step - W) / (T - W))` (HF's cosine curve with a floor); it stays at `minLr` after T.
 */
export function cosineSchedule(options: CosineScheduleOptions): LrSchedule {
  const checks = new ScheduleChecks();
  const warmup = resolveWarmup(options, checks);
  checks.require(options.totalSteps !== undefined, 'totalSteps', 'is required');
  const minLr = resolveMinLr(options, checks);
  checks.throwIfAny('cosine');
  const peak = options.peakLr;
  const decaySteps = options.totalSteps - warmup;
  return (step) => {
    checkStep(step);
    if (step < warmup) return peak * warmupFactor(step, warmup);
    const p = decaySteps === 0 ? 1 : Math.min(1, (step - warmup) / decaySteps);
    return minLr + ((peak - minLr) * (1 + Math.cos(Math.PI * p))) / 2;
  };
}
