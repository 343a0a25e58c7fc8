import * as tf from '@tensorflow/tfjs';
import type { AdamDecayMode } from '../backend/native/fused/adamw-kernel';
import { adamUpdate, canFuseAdamUpdate, fusedAdamUpdate } from './adam-update';
import { DecayFilter } from './decay-filter';
import { NamedStateOptimizer, ParamUpdate } from './named-state-optimizer';
import { OptionChecks } from './option-checks';

/** Options shared by {@link AdamOptimizer} and {@link AdamWOptimizer}. */
export interface AdamFamilyOptions {
  /** Decay rates of the first and second moment estimates. Default `[0.9, 0.999]`. */
  betas?: readonly [number, number];
  /** Added to the denominator for numerical stability. Default `1e-8`. */
  eps?: number;
  /** Weight decay coefficient (how it applies is the subclass's choice). */
  weightDecay?: number;
  /** Which variables are decayed. Default: all but biases, norm weights and embeddings. */
  decayFilter?: DecayFilter;
}

/**
 * The bias-corrected Adam step (PyTorch semantics, no amsgrad), with the weight decay left to
 * subclasses: they say what value and gradient enter the step. State: `${name}/m`, `${name}/v`, `step`.
 */
export abstract class AdamFamilyOptimizer extends NamedStateOptimizer {
  /** Slot names kept per variable. */
  protected readonly slotNames = ['m', 'v'] as const;
  /** `v` is a running mean of squared gradients. */
  protected override readonly nonNegativeSlots: readonly string[] = ['v'];
  /** Decay rates of the moments. */
  readonly betas: readonly [number, number];
  /** Denominator epsilon. */
  readonly eps: number;
  /** Weight decay coefficient. */
  readonly weightDecay: number;

  constructor(options: AdamFamilyOptions, defaults: { weightDecay: number; name: string }) {
    super(options.decayFilter);
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? defaults.weightDecay;
    new OptionChecks()
      .inRange(this.betas[0], 'betas[0]', { min: 0, max: 1 })
      .inRange(this.betas[1], 'betas[1]', { min: 0, max: 1 })
      // eps 0 turns a weight whose gradient is still 0 (an unused embedding row) into 0/0 = NaN.
      .require(Number.isFinite(this.eps) && this.eps > 0, 'eps', `must be a finite number > 0, got ${this.eps}`)
      .inRange(this.weightDecay, 'weightDecay', { min: 0 })
      .throwIfAny(`Invalid ${defaults.name} options`);
  }

  /**
   * What {@link applyDecay} does, for the fused update (which applies the decay itself):
   * `decoupled` is `p * (1 - lr*wd)`, `l2` is `g + wd*p`. Undefined (a subclass with its own
   * decay) keeps the fused update to steps where no variable is decayed.
   */
  protected readonly decayMode: Exclude<AdamDecayMode, 'none'> | undefined = undefined;

  /** The value and gradient the Adam step starts from, after this optimizer's weight decay (decayed variables only). */
  protected abstract applyDecay(u: ParamUpdate): {
    /** The variable's value the update starts from. */
    value: tf.Tensor;
    /** The gradient the update uses. */
    grad: tf.Tensor;
  };

  protected override update(u: ParamUpdate): Record<string, tf.Tensor> {
    const { value, grad } = u.decay && this.weightDecay !== 0 ? this.applyDecay(u) : { value: u.param, grad: u.grad };
    const out = adamUpdate({
      value,
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

  /** All variables in one call of the native fused kernel when it is there and can do this step's decay. */
  protected override updateAll(updates: readonly ParamUpdate[], gradScale: tf.Scalar | undefined): Array<Record<string, tf.Tensor>> | undefined {
    const decays = this.weightDecay !== 0 && updates.some((u) => u.decay);
    if (updates.length === 0 || !canFuseAdamUpdate() || (decays && this.decayMode === undefined)) return undefined;
    if (updates.some((u) => u.param.dtype !== 'float32' || u.grad.dtype !== 'float32')) return undefined;
    const outs = fusedAdamUpdate({
      variables: updates.map((u) => ({ value: u.param, grad: u.grad, m: u.slots.get('m'), v: u.slots.get('v'), step: u.step, decay: u.decay })),
      lr: updates[0].lr,
      beta1: this.betas[0],
      beta2: this.betas[1],
      eps: this.eps,
      decay: decays && this.decayMode !== undefined ? this.decayMode : 'none',
      weightDecay: this.weightDecay,
      gradScale,
    });
    return updates.map((u, i) => {
      u.param.assign(outs[i].value);
      return { m: outs[i].m, v: outs[i].v };
    });
  }
}
