import * as tf from '@tensorflow/tfjs';
import { AdamFamilyOptimizer, AdamFamilyOptions } from './adam-family-optimizer';
import { ParamUpdate } from './named-state-optimizer';

/** Options of {@link AdamWOptimizer}; defaults follow PyTorch's `torch.optim.AdamW` (weightDecay 0.01). */
export type AdamWOptions = AdamFamilyOptions;

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter; PyTorch `AdamW` semantics, no amsgrad):
 * `p *= 1 - lr*wd` for decayed variables, then the bias-corrected Adam step.
 */
export class AdamWOptimizer extends AdamFamilyOptimizer {
  /** Decoupled decay: `p *= 1 - lr*wd` (see {@link AdamWOptimizer.applyDecay}). */
  protected override readonly decayMode = 'decoupled';

  constructor(options: AdamWOptions = {}) {
    super(options, { weightDecay: 0.01, name: 'AdamW' });
  }

  protected applyDecay(u: ParamUpdate): { value: tf.Tensor; grad: tf.Tensor } {
    return { value: u.param.mul(1 - u.lr * this.weightDecay), grad: u.grad };
  }
}
