import { DecayingScheduleOptions, LrSchedule } from './lr-schedule';
import { checkStep, resolveMinLr, resolveWarmup, ScheduleChecks, warmupFactor } from './schedule-checks';

/**
 * Linear warmup to `peakLr`, then `lr = minLr + (peakLr - minLr) * shape(p)` with decay progress
 * `p = min(1, (step - W) / (T - W))`. Shared by the schedules that differ only in their curve.
 * @internal
 */
export function warmupThenDecay(options: DecayingScheduleOptions, name: string, shape: (p: number) => number): LrSchedule {
  const checks = new ScheduleChecks();
  const warmup = resolveWarmup(options, checks);
  checks.require(options.totalSteps !== undefined, 'totalSteps', 'is required');
  const minLr = resolveMinLr(options, checks);
  checks.throwIfAny(name);
  const peak = options.peakLr;
  const decaySteps = options.totalSteps - warmup;
  return (step) => {
    checkStep(step);
    if (step < warmup) return peak * warmupFactor(step, warmup);
    const p = decaySteps === 0 ? 1 : Math.min(1, (step - warmup) / decaySteps);
    return minLr + (peak - minLr) * shape(p);
  };
}
