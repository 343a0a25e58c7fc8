import * as tf from '@tensorflow/tfjs';
import { adamUpdate } from './adam-update';
import { DecayFilter } from './decay-filter';
import { NamedStateOptimizer, ParamUpdate } from './named-state-optimizer';
import { OptionChecks } from './option-checks';

/** Options of {@link AdamWOptimizer}; defaults follow PyTorch's `torch.optim.AdamW`. */
export interface AdamWOptions {
  /** Decay rates of the first and second moment estimates. Default `[0.9, 0.999]`. */
  betas?: readonly [number, number];
  /** Added to the denominator for numerical stability. Default `1e-8`. */
  eps?: number;
  /** Decoupled weight decay coefficient (multiplied by the step's lr). Default `0.01`. */
  weightDecay?: number;
  /** Which variables are decayed. Default: all but biases, norm weights and embeddings. */
  decayFilter?: DecayFilter;
}

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter; PyTorch `AdamW` semantics, no amsgrad):
 * `p *= 1 - lr*wd` for decayed variables, then the bias-corrected Adam step.
 * State: `${name}/m`, `${name}/v`, `step`.
 */
export class AdamWOptimizer extends NamedStateOptimizer {
  /** Slot names kept per variable. */
  protected readonly slotNames = ['m', 'v'] as const;
  /** Decay rates of the moments. */
  readonly betas: readonly [number, number];
  /** Denominator epsilon. */
  readonly eps: number;
  /** Decoupled weight decay coefficient. */
  readonly weightDecay: number;

  constructor(options: AdamWOptions = {}) {
    super(options.decayFilter);
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    new OptionChecks()
      .inRange(this.betas[0], 'betas[0]', { min: 0, max: 1 })
      .inRange(this.betas[1], 'betas[1]', { min: 0, max: 1 })
      .inRange(this.eps, 'eps', { min: 0 })
      .inRange(this.weightDecay, 'weightDecay', { min: 0 })
      .throwIfAny('Invalid AdamW options');
  }

  protected override update(u: ParamUpdate): Record<string, tf.Tensor> {
    const decayed = u.decay && this.weightDecay !== 0 ? u.param.mul(1 - u.lr * this.weightDecay) : u.param;
    const out = adamUpdate({
      value: decayed,
      grad: u.grad,
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
