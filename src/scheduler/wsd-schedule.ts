import { DecayingScheduleOptions, LrSchedule } from './lr-schedule';
import { ceilSteps, checkStep, resolveMinLr, resolveWarmup, ScheduleChecks, warmupFactor } from './schedule-checks';

/** Shape of the decay phase of {@link wsdSchedule}. */
export type WsdDecayShape = 'linear' | 'cosine' | '1-sqrt';

/** Options of {@link wsdSchedule}. */
export interface WsdScheduleOptions extends DecayingScheduleOptions {
  /** Length of the final decay phase in steps (exclusive with `decayRatio`). */
  decaySteps?: number;
  /** Decay length as a fraction of `totalSteps`, rounded up (exclusive with `decaySteps`). Default 0.1. */
  decayRatio?: number;
  /** Curve of the decay phase. Default `'linear'`. */
  decayShape?: WsdDecayShape;
}

/** Decay shapes: fraction of the way from `minLr` to `peakLr` left at decay progress `p` in [0, 1]. */
const SHAPES: Record<WsdDecayShape, (p: number) => number> = {
  linear: (p) => 1 - p,
  cosine: (p) => (1 + Math.cos(Math.PI * p)) / 2,
  '1-sqrt': (p) => 1 - Math.sqrt(p),
};

/**
 * Warmup-stable-decay: linear warmup over W steps, `peakLr` until `S = totalSteps - D`, then decay
 * to `minLr` over the last D steps: `lr = minLr + (peakLr - minLr) * shape(p)` with
 * `p = min(1, (step - S) / D)`. Step S gets the peak; `minLr` is reached at step `totalSteps`.
 */
export function wsdSchedule(options: WsdScheduleOptions): LrSchedule {
  const checks = new ScheduleChecks();
  const warmup = resolveWarmup(options, checks);
  checks.require(options.totalSteps !== undefined, 'totalSteps', 'is required');
  const minLr = resolveMinLr(options, checks);
  const total = options.totalSteps;
  checks.require(options.decaySteps === undefined || options.decayRatio === undefined, 'decayRatio', 'give decaySteps or decayRatio, not both');
  let decay: number;
  if (options.decaySteps !== undefined) {
    checks.require(Number.isInteger(options.decaySteps) && options.decaySteps >= 0, 'decaySteps', `must be an integer >= 0, got ${options.decaySteps}`);
    decay = options.decaySteps;
  } else {
    const ratio = options.decayRatio ?? 0.1;
    checks.require(Number.isFinite(ratio) && ratio >= 0 && ratio <= 1, 'decayRatio', `must be in [0, 1], got ${ratio}`);
    decay = ceilSteps(ratio * total);
  }
  checks.require(warmup + decay <= total, 'decaySteps', `warmup (${warmup}) + decay (${decay}) exceeds totalSteps (${total})`);
  const shapeName = options.decayShape ?? 'linear';
  checks.require(shapeName in SHAPES, 'decayShape', `must be one of: ${Object.keys(SHAPES).join(', ')}; got '${shapeName}'`);
  checks.throwIfAny('wsd');
  const shape = SHAPES[shapeName];
  const peak = options.peakLr;
  const decayStart = total - decay;
  return (step) => {
    checkStep(step);
    if (step < warmup) return peak * warmupFactor(step, warmup);
    if (step < decayStart) return peak;
    const p = decay === 0 ? 1 : Math.min(1, (step - decayStart) / decay);
    return minLr + (peak - minLr) * shape(p);
  };
}
