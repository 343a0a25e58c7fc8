import { BaseScheduleOptions, LrSchedule } from './lr-schedule';
import { checkStep, resolveWarmup, ScheduleChecks, warmupFactor } from './schedule-checks';

/** Options of {@link constantSchedule}. */
export type ConstantScheduleOptions = BaseScheduleOptions;

/** Linear warmup (if any), then `peakLr` forever. Step indexing as in {@link LrSchedule}. */
export function constantSchedule(options: ConstantScheduleOptions): LrSchedule {
  const checks = new ScheduleChecks();
  const warmup = resolveWarmup(options, checks);
  checks.throwIfAny('constant');
  const peak = options.peakLr;
  return (step) => {
    checkStep(step);
    return step < warmup ? peak * warmupFactor(step, warmup) : peak;
  };
}
