import { DecayingScheduleOptions, LrSchedule } from './lr-schedule';
import { warmupThenDecay } from './warmup-then-decay';

/** Options of {@link cosineSchedule}. */
export type CosineScheduleOptions = DecayingScheduleOptions;

/**
 * Linear warmup to `peakLr`, then half a cosine down to `minLr` (= `minLrRatio * peakLr`) at step
 * `totalSteps`: for `step >= W`, `lr = minLr + (peakLr - minLr) * (1 + cos(pi * p)) / 2` with
 * `p = min(1, (step - W) / (T - W))` (HF's cosine curve with a floor); it stays at `minLr` after T.
 */
export function cosineSchedule(options: CosineScheduleOptions): LrSchedule {
  return warmupThenDecay(options, 'cosine', (p) => (1 + Math.cos(Math.PI * p)) / 2);
}
