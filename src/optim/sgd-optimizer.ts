import * as tf from '@tensorflow/tfjs';
import { DecayFilter } from './decay-filter';
import { NamedStateOptimizer, ParamUpdate } from './named-state-optimizer';
import { OptionChecks } from './option-checks';

/** Options of {@link SgdOptimizer}; defaults follow PyTorch's `torch.optim.SGD`. */
export interface SgdOptions {
  /** Momentum factor; 0 disables the momentum buffer. Default `0`. */
  momentum?: number;
  /** Dampening of the gradient's share in the momentum buffer. Default `0`. */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default `false`. */
  nesterov?: boolean;
  /** L2 penalty: `wd * p` is added to the gradient. Default `0`. */
  weightDecay?: number;
  /** Which variables get the L2 term. Default: all but biases, norm weights and embeddings. */
  decayFilter?: DecayFilter;
}

/**
 * Stochastic gradient descent with PyTorch `SGD` semantics: `g += wd*p`; the momentum buffer
 * starts as a copy of `g`, then `buf = momentum*buf + (1-dampening)*g`; the step uses
 * `g + momentum*buf` (nesterov) or `buf`; `p -= lr * step`. State: `${name}/momentum`, `step`.
 */
export class SgdOptimizer extends NamedStateOptimizer {
  /** Slot names kept per variable (none without momentum). */
  protected readonly slotNames: readonly string[];
  /** Momentum factor. */
  readonly momentum: number;
  /** Momentum dampening. */
  readonly dampening: number;
  /** Whether Nesterov momentum is used. */
  readonly nesterov: boolean;
  /** L2 weight decay coefficient. */
  readonly weightDecay: number;

  constructor(options: SgdOptions = {}) {
    super(options.decayFilter);
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.nesterov = options.nesterov ?? false;
    this.weightDecay = options.weightDecay ?? 0;
    this.slotNames = this.momentum === 0 ? [] : ['momentum'];
    new OptionChecks()
      .inRange(this.momentum, 'momentum', { min: 0 })
      .inRange(this.dampening, 'dampening', { min: 0 })
      .inRange(this.weightDecay, 'weightDecay', { min: 0 })
      .require(!this.nesterov || (this.momentum > 0 && this.dampening === 0), 'nesterov', 'needs momentum > 0 and dampening 0')
      .throwIfAny('Invalid SGD options');
  }

  protected override update(u: ParamUpdate): Record<string, tf.Tensor> {
    let g = u.decay && this.weightDecay !== 0 ? u.grad.add(u.param.mul(this.weightDecay)) : u.grad;
    if (this.momentum === 0) {
      u.param.assign(u.param.sub(g.mul(u.lr)));
      return {};
    }
    const prev = u.slots.get('momentum');
    // PyTorch's first buffer is the gradient itself, undampened; tf.clone so the slot owns a handle.
    const buf = prev === undefined ? tf.clone(g) : prev.mul(this.momentum).add(g.mul(1 - this.dampening));
    g = this.nesterov ? g.add(buf.mul(this.momentum)) : buf;
    u.param.assign(u.param.sub(g.mul(u.lr)));
    return { momentum: buf };
  }
}
