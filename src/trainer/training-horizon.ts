import { Count, resolveCount } from '../config/human-number';
import { ceilSteps } from '../scheduler/schedule-checks';

/** What the run's length depends on. */
export interface HorizonInputs {
  /** Micro-batches per epoch (of the whole job, every rank's together). */
  batchesPerEpoch: number;
  gradientAccumulationSteps: number;
  /** Ranks training together (1 when alone). */
  ranks: number;
  epochs: number;
  /** The recipe's `trainIters` (a count, or a ratio of the full length), if set. */
  trainIters?: Count;
}

/**
 * Total optimizer steps of a run. A final partial accumulation cycle at the end of an epoch
 * still makes one (smaller) optimizer step, so each epoch has ceil(batches / (accum × ranks));
 * `trainIters` caps the total.
 */
export function trainingHorizon(h: HorizonInputs): number {
  const perEpoch = Math.ceil(h.batchesPerEpoch / (h.gradientAccumulationSteps * h.ranks));
  const full = perEpoch * h.epochs;
  return h.trainIters === undefined ? full : Math.min(full, resolveCount(h.trainIters, full));
}

/**
 * Warmup steps from the scheduler config: `warmupSteps`, else `warmupRatio` of the horizon rounded
 * up as the schedules round it ({@link ceilSteps}: 0.07 of 100 is 7, not 8), else 0.
 */
export function warmupSteps(scheduler: { warmupSteps?: number | null; warmupRatio?: number | null }, horizon: number): number {
  // null (written to drop a setting an extended recipe gives) is the same as leaving it out.
  if (scheduler.warmupSteps !== undefined && scheduler.warmupSteps !== null) return scheduler.warmupSteps;
  return scheduler.warmupRatio === undefined || scheduler.warmupRatio === null ? 0 : ceilSteps(scheduler.warmupRatio * horizon);
}

/** Where a run stands in its data, for {@link epochsEndStep}. */
export interface EpochPosition {
  /** Optimizer steps taken. */
  globalStep: number;
  /** Current epoch (0-based). */
  epochIndex: number;
  /** Micro-batches of the current epoch already consumed (every rank's together). */
  batchInEpoch: number;
}

/**
 * The optimizer step at which the run's epochs run out, from `position` on, with this batching:
 * the rest of the current epoch, then whole epochs (a partial last cycle of an epoch still steps).
 * A run resumed with another global batch can end here before its horizon, or reach its horizon
 * before this.
 */
export function epochsEndStep(h: HorizonInputs, position: EpochPosition): number {
  const perStep = h.gradientAccumulationSteps * h.ranks;
  if (position.epochIndex >= h.epochs) return position.globalStep;
  const rest = Math.ceil(Math.max(0, h.batchesPerEpoch - position.batchInEpoch) / perStep);
  return position.globalStep + rest + (h.epochs - position.epochIndex - 1) * Math.ceil(h.batchesPerEpoch / perStep);
}
