import * as tf from '@tensorflow/tfjs';
import type { DataParallel } from '../distributed/data-parallel';
import { clipByGlobalNorm, clipCoefficient, globalNorm } from '../optim/clip-by-global-norm';
import { GradientAccumulator } from '../optim/gradient-accumulator';
import type { Rng, RngState } from '../random';
import type { Trainer } from './trainer';
import type { TrainerState } from './trainer-state';

/** The data position and RNG state as a cycle's first micro-batch begins. */
type CycleStart = Pick<TrainerState, 'batchInEpoch' | 'samplesSeen' | 'tokensSeen'> & { rng: RngState };

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
  private start?: CycleStart;

  /** Micro-batches added since the cycle began (0 right after an optimizer step). */
  get microBatches(): number {
    return this.count;
  }

  /** Records where the data position and `rng` stand as the cycle's first micro-batch begins (see `rewind`). */
  begin(state: TrainerState, rng: Rng): void {
    this.start = { batchInEpoch: state.batchInEpoch, samplesSeen: state.samplesSeen, tokensSeen: state.tokensSeen, rng: rng.getState() };
  }

  /**
   * Drops an unfinished cycle (a stop before its optimizer step): its gradients are discarded and
   * the data position (`batchInEpoch`, `samplesSeen`, `tokensSeen`) and `rng` go back to where the
   * cycle began, so a checkpoint describes the completed steps only and a resumed run trains the
   * dropped micro-batches again, in the same cycle as an uninterrupted run (with the same dropout seeds).
   */
  rewind(state: TrainerState, rng: Rng): void {
    const start = this.start;
    this.accumulator.reset();
    this.weight = 0;
    this.count = 0;
    this.start = undefined;
    if (start === undefined) return;
    state.batchInEpoch = start.batchInEpoch;
    state.samplesSeen = start.samplesSeen;
    state.tokensSeen = start.tokensSeen;
    rng.setState(start.rng);
  }

  /** Adds one micro-batch's gradients (already scaled by `weight`) and takes them: they are disposed, or kept as the running sums. */
  add(grads: Map<string, tf.Tensor>, weight: number): void {
    this.accumulator.take(grads);
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
    this.start = undefined;
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
