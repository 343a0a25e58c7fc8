import * as tf from '@tensorflow/tfjs';
import type { DataParallel } from '../distributed/data-parallel';
import { clipByGlobalNorm, clipCoefficient, globalNorm } from '../optim/clip-by-global-norm';
import { GradientAccumulator } from '../optim/gradient-accumulator';
import type { Trainer } from './trainer';

/** The gradients one accumulation cycle ends with; the caller owns them. */
export interface CycleGradients {
  /** Averaged (over micro-batches and ranks) gradients by parameter name; clipped unless `gradScale` is set. */
  grads: Map<string, tf.Tensor>;
  /** The clip coefficient still to apply (when the optimizer folds it into its update). */
  gradScale?: tf.Scalar;
  /** The global norm before clipping (a tensor: read with the other logged scalars). */
  norm: tf.Scalar;
  /** Disposes `grads`, `gradScale` and anything computed on the way (not `norm`). */
  dispose(): void;
}

/**
 * One gradient-accumulation cycle of the training loop: micro-batch gradients summed (each
 * weighted by its batch's weight) until the optimizer step averages them over every micro-batch
 * of every rank and clips them by global norm.
 */
export class GradientCycle {
  private readonly accumulator = new GradientAccumulator();
  private weight = 0;
  private count = 0;

  /** Micro-batches added since the cycle began (0 right after an optimizer step). */
  get microBatches(): number {
    return this.count;
  }

  /** Adds one micro-batch's gradients (already scaled by `weight`) and disposes them. */
  add(grads: Map<string, tf.Tensor>, weight: number): void {
    try {
      this.accumulator.add(grads);
    } finally {
      tf.dispose([...grads.values()]);
    }
    this.weight += weight;
    this.count++;
  }

  /**
   * Ends the cycle: the weighted average over every rank's micro-batches (data parallel, an
   * all-reduce), then clipping to `maxGradNorm` (0: none): by scaling the gradients here, or,
   * with `scaleInOptimizer` (an optimizer with `acceptsGradScale`), by handing back the
   * coefficient so the update applies it without a pass of its own. The next cycle starts empty.
   */
  async finish(dp: DataParallel, trainer: Trainer, options: { maxGradNorm: number; scaleInOptimizer: boolean }): Promise<CycleGradients> {
    const { maxGradNorm } = options;
    const averaged = await dp.averageGradients(trainer, this.accumulator, this.weight);
    this.accumulator.reset();
    this.weight = 0;
    this.count = 0;
    const disposeAveraged = (): void => tf.dispose([...averaged.values()]);
    if (maxGradNorm <= 0) return { grads: averaged, norm: globalNorm(averaged), dispose: disposeAveraged };
    if (options.scaleInOptimizer) {
      const norm = globalNorm(averaged);
      const gradScale = clipCoefficient(norm, maxGradNorm);
      return { grads: averaged, norm, gradScale, dispose: () => tf.dispose([...averaged.values(), gradScale]) };
    }
    let clipped: ReturnType<typeof clipByGlobalNorm>;
    try {
      clipped = clipByGlobalNorm(averaged, maxGradNorm);
    } catch (error) {
      disposeAveraged();
      throw error;
    }
    return {
      grads: clipped.grads,
      norm: clipped.norm,
      dispose: () => {
        disposeAveraged();
        tf.dispose([...clipped.grads.values()]);
      },
    };
  }

  /** Releases the running sums. */
  dispose(): void {
    this.accumulator.dispose();
  }
}
