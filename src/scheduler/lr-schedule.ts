/**
 * A learning-rate schedule: a pure function of the step, so a resumed run lands on the same lr.
 *
 * Step indexing: `step` is the 0-based index of the optimizer step about to be taken, i.e. the
 * optimizer's `stepCount` BEFORE `applyGradients`. The first real update uses `schedule(0)`.
 */
export type LrSchedule = (step: number) => number;

/** Options every schedule accepts. */
export interface BaseScheduleOptions {
  /** Learning rate at the end of warmup (and through the stable phase). */
  peakLr: number;
  /** Training horizon in optimizer steps; needed by decaying schedules and by `warmupRatio`. */
  totalSteps?: number;
  /** Warmup length in optimizer steps (exclusive with `warmupRatio`). Default 0. */
  warmupSteps?: number;
  /** Warmup length as a fraction of `totalSteps`, rounded up (exclusive with `warmupSteps`). */
  warmupRatio?: number;
}

/** Options of schedules that decay to a floor. */
export interface DecayingScheduleOptions extends BaseScheduleOptions {
  /** Training horizon in optimizer steps. */
  totalSteps: number;
  /** Final lr as a fraction of `peakLr` (exclusive with `minLr`). Default 0. */
  minLrRatio?: number;
  /** Final lr, absolute (exclusive with `minLrRatio`). */
  minLr?: number;
}
