import { register } from '../registry/register';
import { AdamFamilyConfig } from './adam-family-config';
import { AdamOptimizer } from './adam-optimizer';
import { OptimizerFactory } from './optimizer-factory';
import { ParamOptimizer } from './param-optimizer';

/** Config of `adam`: weight decay is L2 added to the gradient (PyTorch Adam). */
export class AdamConfig extends AdamFamilyConfig {
  /** L2 penalty added to the gradient (0 = none). */
  override weightDecay = 0;
}

/** Adam (L2 weight decay, PyTorch semantics). */
@register()
export class AdamOptimizerFactory extends OptimizerFactory<AdamConfig> {
  static override readonly type: string = 'adam';
  static override readonly configType = AdamConfig;

  createOptimizer(): ParamOptimizer {
    const c = this.config;
    return new AdamOptimizer({ betas: c.betas, eps: c.eps, weightDecay: c.weightDecay, decayFilter: this.noDecayFilter(c.noDecay) });
  }
}
