import * as tf from '@tensorflow/tfjs';
import { adamUpdate } from './adam-update';
import { DecayFilter } from './decay-filter';
import { NamedStateOptimizer, ParamUpdate } from './named-state-optimizer';
import { OptionChecks } from './option-checks';

/** Options of {@link AdamOptimizer}; defaults follow PyTorch's `torch.optim.Adam`. */
export interface AdamOptions {
  /** Decay rates of the first and second moment estimates. Default `[0.9, 0.999]`. */
  betas?: readonly [number, number];
  /** Added to the denominator for numerical stability. Default `1e-8`. */
  eps?: number;
  /** L2 penalty: `wd * p` is added to the gradient before the moments. Default `0`. */
  weightDecay?: number;
  /** Which variables get the L2 term. Default: all but biases, norm weights and embeddings. */
  decayFilter?: DecayFilter;
}

/**
 * Adam (PyTorch `Adam` semantics, no amsgrad) with classic L2 weight decay: `g += wd * p` for
 * decayed variables, then the bias-corrected Adam step. State: `${name}/m`, `${name}/v`, `step`.
 */
export class AdamOptimizer extends NamedStateOptimizer {
  /** Slot names kept per variable. */
  protected readonly slotNames = ['m', 'v'] as const;
  /** Decay rates of the moments. */
  readonly betas: readonly [number, number];
  /** Denominator epsilon. */
  readonly eps: number;
  /** L2 weight decay coefficient. */
  readonly weightDecay: number;

  constructor(options: AdamOptions = {}) {
    super(options.decayFilter);
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    new OptionChecks()
      .inRange(this.betas[0], 'betas[0]', { min: 0, max: 1 })
      .inRange(this.betas[1], 'betas[1]', { min: 0, max: 1 })
      .inRange(this.eps, 'eps', { min: 0 })
      .inRange(this.weightDecay, 'weightDecay', { min: 0 })
      .throwIfAny('Invalid Adam options');
  }

  protected override update(u: ParamUpdate): Record<string, tf.Tensor> {
    const grad = u.decay && this.weightDecay !== 0 ? u.grad.add(u.param.mul(this.weightDecay)) : u.grad;
    const out = adamUpdate({
      value: u.param,
      grad,
      m: u.slots.get('m'),
      v: u.slots.get('v'),
      lr: u.lr,
      step: u.step,
      beta1: this.betas[0],
      beta2: this.betas[1],
      eps: this.eps,
    });
    u.param.assign(out.value);
    return { m: out.m, v: out.v };
  }
}
