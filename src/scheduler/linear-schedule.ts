import { DecayingScheduleOptions, LrSchedule } from './lr-schedule';
import { warmupThenDecay } from './warmup-then-decay';

/** Options of {@link linearSchedule}. */
export type LinearScheduleOptions = DecayingScheduleOptions;

/**
 * Linear warmup to `peakLr`, then linear decay to `minLr` at step `totalSteps`:
 * for `step >= W`, `lr = minLr + (peakLr - minLr) * (1 - p)` with `p = min(1, (step - W) / (T - W))`.
 * The decay is HF's `get_linear_schedule_with_warmup` curve, so the last step (T - 1) still gets
 * a small non-zero lr; step W (like W - 1) gets the peak.
 */
export function linearSchedule(options: LinearScheduleOptions): LrSchedule {
  return warmupThenDecay(options, 'linear', (p) => 1 - p);
}
