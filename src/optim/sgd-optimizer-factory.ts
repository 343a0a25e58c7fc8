import { IsArray, IsBoolean, IsNumber, IsString, Max, Min } from 'class-validator';
import { ConfigRule, isFiniteNumber } from '../config/config-rule';
import { register } from '../registry/register';
import { DEFAULT_NO_DECAY_PATTERNS } from './decay-filter';
import { OptimizerConfig, OptimizerFactory } from './optimizer-factory';
import { ParamOptimizer } from './param-optimizer';
import { SgdOptimizer } from './sgd-optimizer';

/** Nesterov momentum looks ahead along the momentum buffer, so it needs one, undampened (as PyTorch requires). */
function nesterovProblem(c: SgdConfig): string | undefined {
  if (c.nesterov !== true || !isFiniteNumber(c.momentum) || !isFiniteNumber(c.dampening)) return undefined;
  const needs: string[] = [];
  const fixes: string[] = [];
  if (!(c.momentum > 0)) {
    needs.push(`momentum > 0 (got ${c.momentum})`);
    fixes.push('momentum: 0.9');
  }
  if (c.dampening !== 0) {
    needs.push(`dampening 0 (got ${c.dampening})`);
    fixes.push('dampening: 0');
  }
  return needs.length === 0 ? undefined : `true needs ${needs.join(' and ')}: set ${fixes.join(', ')}, or nesterov: false`;
}

/** Config of `sgd` (PyTorch semantics). */
export class SgdConfig extends OptimizerConfig {
  /** Momentum factor in [0, 1). */
  @IsNumber()
  @Min(0)
  @Max(0.999999)
  momentum = 0;

  /** Dampening of the momentum. */
  @IsNumber()
  @Min(0)
  @Max(1)
  dampening = 0;

  /** Nesterov momentum (needs momentum > 0 and dampening 0). */
  @IsBoolean()
  @ConfigRule('nesterovMomentum', nesterovProblem)
  nesterov = false;

  /** L2 penalty added to the gradient. */
  @IsNumber()
  @Min(0)
  weightDecay = 0;

  /** Weight-name patterns exempt from decay (globs: `*.bias`, `*norm*`, `embed.*`); a list replaces the default, `[]` decays every weight. */
  @IsArray()
  @IsString({ each: true })
  noDecay: string[] = DEFAULT_NO_DECAY_PATTERNS.filter((p): p is string => typeof p === 'string');
}

/** Stochastic gradient descent with optional (Nesterov) momentum. */
@register()
export class SgdOptimizerFactory extends OptimizerFactory<SgdConfig> {
  static override readonly type: string = 'sgd';
  static override readonly configType = SgdConfig;

  createOptimizer(): ParamOptimizer {
    const c = this.config;
    return new SgdOptimizer({ momentum: c.momentum, dampening: c.dampening, nesterov: c.nesterov, weightDecay: c.weightDecay, decayFilter: this.noDecayFilter(c.noDecay) });
  }
}
