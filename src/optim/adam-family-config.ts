import { ArrayMaxSize, ArrayMinSize, IsArray, IsNumber, IsPositive, IsString, Max, Min } from 'class-validator';
import { ConfigRule, isFiniteNumber } from '../config/config-rule';
import { OptimizerConfig } from './optimizer-factory';
import { DEFAULT_NO_DECAY_PATTERNS } from './decay-filter';

/**
 * AdamW multiplies decayed weights by `1 - lr*weightDecay` every step: at lr·weightDecay ≥ 1 that
 * zeroes or flips their sign (PyTorch takes it silently; the run then only diverges).
 */
function decayFactorProblem(c: AdamFamilyConfig): string | undefined {
  if (typeof c.decaysDecoupled !== 'function' || !c.decaysDecoupled()) return undefined;
  if (!isFiniteNumber(c.lr) || !isFiniteNumber(c.weightDecay) || c.lr <= 0 || c.lr * c.weightDecay < 1) return undefined;
  const factor = Number((1 - c.lr * c.weightDecay).toPrecision(6));
  return `${c.weightDecay} with lr ${c.lr} makes AdamW multiply the decayed weights by 1 - lr × weightDecay = ${factor} at every step, which zeroes or flips them: weightDecay must be below 1 / lr = ${Number((1 / c.lr).toPrecision(6))} (typical values are 0.01 to 0.1)`;
}

/** Shared settings of Adam and AdamW. */
export class AdamFamilyConfig extends OptimizerConfig {
  /** Decay rates of the first and second moment estimates, each in [0, 1). */
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(2)
  @IsNumber({}, { each: true })
  @Min(0, { each: true })
  @Max(0.999999, { each: true, message: 'betas must each be from 0 to 0.999999' })
  betas: [number, number] = [0.9, 0.999];

  /** Added to the denominator for numerical stability. */
  @IsPositive()
  eps = 1e-8;

  /** Weight decay coefficient: decoupled for AdamW (each step multiplies decayed weights by 1 − lr × weightDecay, so that must be below 1), L2 for Adam. */
  @IsNumber()
  @Min(0)
  @ConfigRule('decayFactor', decayFactorProblem)
  weightDecay = 0.01;

  /** Weight-name patterns exempt from decay (globs: `*.bias`, `*norm*`, `embed.*`); a list replaces the default, `[]` decays every weight. */
  @IsArray()
  @IsString({ each: true })
  noDecay: string[] = DEFAULT_NO_DECAY_PATTERNS.filter((p): p is string => typeof p === 'string');

  /** True when weight decay is decoupled from the gradient (AdamW), which bounds lr × weightDecay. */
  decaysDecoupled(): boolean {
    return false;
  }
}
