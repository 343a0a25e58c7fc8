import * as tf from '@tensorflow/tfjs';
import { AdamFamilyOptimizer, AdamFamilyOptions } from './adam-family-optimizer';
import { ParamUpdate } from './named-state-optimizer';

/** Options of {@link AdamOptimizer}; defaults follow PyTorch's `torch.optim.Adam` (weightDecay 0). */
export type AdamOptions = AdamFamilyOptions;

/**
 * Adam (PyTorch `Adam` semantics, no amsgrad) with classic L2 weight decay: `g += wd * p` for
 * decayed variables, then the bias-corrected Adam step.
 */
export class AdamOptimizer extends AdamFamilyOptimizer {
  /** L2 decay: `g += wd*p` (see {@link AdamOptimizer.applyDecay}). */
  protected override readonly decayMode = 'l2';

  constructor(options: AdamOptions = {}) {
    super(options, { weightDecay: 0, name: 'Adam' });
  }

  protected applyDecay(u: ParamUpdate): { value: tf.Tensor; grad: tf.Tensor } {
    return { value: u.param, grad: u.grad.add(u.param.mul(this.weightDecay)) };
  }
}
