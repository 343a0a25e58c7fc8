import { IsNumber, Min } from 'class-validator';
import { ConfigRule, isFiniteNumber } from '../config/config-rule';
import { register } from '../registry/register';
import { AdamFamilyConfig } from './adam-family-config';
import { AdamWOptimizer } from './adamw-optimizer';
import { OptimizerFactory } from './optimizer-factory';
import { ParamOptimizer } from './param-optimizer';

/**
 * AdamW multiplies decayed weights by `1 - lr*weightDecay` every step: at lr·weightDecay ≥ 1 that
 * zeroes or flips their sign (PyTorch takes it silently; the run then only diverges).
 */
function decayFactorProblem(c: AdamWConfig): string | undefined {
  if (!isFiniteNumber(c.lr) || !isFiniteNumber(c.weightDecay) || c.lr <= 0 || c.lr * c.weightDecay < 1) return undefined;
  const factor = Number((1 - c.lr * c.weightDecay).toPrecision(6));
  return `${c.weightDecay} with lr ${c.lr} makes AdamW multiply the decayed weights by 1 - lr × weightDecay = ${factor} at every step, which zeroes or flips them: weightDecay must be below 1 / lr = ${Number((1 / c.lr).toPrecision(6))} (typical values are 0.01 to 0.1)`;
}

/** Config of `adamw`: Adam with decoupled weight decay (PyTorch semantics). */
export class AdamWConfig extends AdamFamilyConfig {
  /** Decoupled weight decay: each step multiplies decayed weights by 1 − lr × weightDecay (lr × weightDecay must be below 1). */
  // All of them again: class-validator drops a parent's validators of a property the subclass decorates.
  @IsNumber()
  @Min(0)
  @ConfigRule('decayFactor', decayFactorProblem)
  override weightDecay = 0.01;
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
