import { register } from '../registry/register';
import { AdamFamilyConfig } from './adam-family-config';
import { AdamWOptimizer } from './adamw-optimizer';
import { OptimizerFactory } from './optimizer-factory';
import { ParamOptimizer } from './param-optimizer';

/** Config of `adamw`: Adam with decoupled weight decay (PyTorch semantics). */
export class AdamWConfig extends AdamFamilyConfig {
  override decaysDecoupled(): boolean {
    return true;
  }
}

/** AdamW, Floe's default optimizer. */
@register()
export class AdamWOptimizerFactory extends OptimizerFactory<AdamWConfig> {
  static override readonly type: string = 'adamw';
  static override readonly configType = AdamWConfig;

  createOptimizer(): ParamOptimizer {
    const c = this.config;
    return new AdamWOptimizer({ betas: c.betas, eps: c.eps, weightDecay: c.weightDecay, decayFilter: this.noDecayFilter(c.noDecay) });
  }
}
