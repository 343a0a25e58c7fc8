import * as tf from '@tensorflow/tfjs';
import type { NamedAttrMap } from '@tensorflow/tfjs';
import { ADAM_UPDATE_KERNEL, adamUpdateInputName, type AdamDecayMode, type AdamUpdateAttrs } from '../backend/native/fused/adamw-kernel';
import { hasKernel } from '../backend/native/fused/fused-kernels';

/** Inputs of one Adam moment update (call inside `tf.tidy`). */
export interface AdamUpdateInput {
  /** Current parameter value (already weight-decayed, for AdamW). */
  value: tf.Tensor;
  /** Gradient (with L2 term added, for Adam). */
  grad: tf.Tensor;
  /** First moment, or undefined on the variable's first update (zeros). */
  m: tf.Tensor | undefined;
  /** Second moment, or undefined on the variable's first update (zeros). */
  v: tf.Tensor | undefined;
  /** Learning rate. */
  lr: number;
  /** 1-based update count of this variable. */
  step: number;
  /** Decay rate of the first moment. */
  beta1: number;
  /** Decay rate of the second moment. */
  beta2: number;
  /** Added to the bias-corrected root of `v`. */
  eps: number;
}

/**
 * The Adam step shared by {@link AdamOptimizer} and {@link AdamWOptimizer}, written in PyTorch's
 * order: `m = b1*m + (1-b1)*g`, `v = b2*v + (1-b2)*g²`,
 * `p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)`.
 */
export function adamUpdate(u: AdamUpdateInput): { value: tf.Tensor; m: tf.Tensor; v: tf.Tensor } {
  const g = u.grad;
  const m = u.m === undefined ? g.mul(1 - u.beta1) : u.m.mul(u.beta1).add(g.mul(1 - u.beta1));
  const v = u.v === undefined ? g.square().mul(1 - u.beta2) : u.v.mul(u.beta2).add(g.square().mul(1 - u.beta2));
  // Bias corrections in float64 on the host; only the final scalars enter float32 math.
  const stepSize = u.lr / (1 - Math.pow(u.beta1, u.step));
  const bc2Sqrt = Math.sqrt(1 - Math.pow(u.beta2, u.step));
  const denom = v.sqrt().div(bc2Sqrt).add(u.eps);
  const value = u.value.sub(m.div(denom).mul(stepSize));
  return { value, m, v };
}

/** One variable of {@link fusedAdamUpdate}. */
export interface FusedAdamVariable {
  /** Current parameter value (before weight decay: the kernel applies it). */
  value: tf.Tensor;
  /** Gradient (before the scale and any L2 term). */
  grad: tf.Tensor;
  /** First moment, or undefined on the variable's first update (zeros). */
  m: tf.Tensor | undefined;
  /** Second moment, or undefined on the variable's first update (zeros). */
  v: tf.Tensor | undefined;
  /** 1-based update count of this variable. */
  step: number;
  /** Whether weight decay applies to this variable. */
  decay: boolean;
}

/** Inputs of {@link fusedAdamUpdate}: every variable of a step and the shared hyper-parameters. */
export interface FusedAdamInput {
  /** The variables, in the order the results come back. */
  variables: readonly FusedAdamVariable[];
  /** Learning rate. */
  lr: number;
  /** Decay rate of the first moment. */
  beta1: number;
  /** Decay rate of the second moment. */
  beta2: number;
  /** Added to the bias-corrected root of `v`. */
  eps: number;
  /** How decayed variables are decayed: AdamW's `p *= 1 - lr*wd` or Adam's `g += wd*p`. */
  decay: AdamDecayMode;
  /** Weight decay coefficient. */
  weightDecay: number;
  /** Multiplies every gradient before anything else (a clipping coefficient); none if undefined. */
  gradScale?: tf.Scalar;
}

/** True when {@link fusedAdamUpdate} can run on the current backend (Floe's native kernels). */
export function canFuseAdamUpdate(): boolean {
  return hasKernel(ADAM_UPDATE_KERNEL);
}

/**
 * {@link adamUpdate} of every variable of a step in ONE kernel call (the native `FloeAdamUpdate`,
 * see {@link canFuseAdamUpdate}), with the weight decay and an optional gradient scale folded in.
 * Same float32 operations in the same order, so results match the op-by-op path. Returns new
 * tensors per variable (the inputs are not modified: tensors may share buffers with clones).
 */
export function fusedAdamUpdate(u: FusedAdamInput): Array<{ value: tf.Tensor; m: tf.Tensor; v: tf.Tensor }> {
  const inputs: Record<string, tf.Tensor> = {};
  u.variables.forEach((x, i) => {
    inputs[adamUpdateInputName('param', i)] = x.value;
    inputs[adamUpdateInputName('grad', i)] = x.grad;
    if (x.m !== undefined) inputs[adamUpdateInputName('m', i)] = x.m;
    if (x.v !== undefined) inputs[adamUpdateInputName('v', i)] = x.v;
  });
  if (u.gradScale !== undefined) inputs.scale = u.gradScale;
  const attrs: AdamUpdateAttrs = {
    // Bias corrections in float64 on the host, as in adamUpdate.
    stepSizes: u.variables.map((x) => u.lr / (1 - Math.pow(u.beta1, x.step))),
    bias2Sqrts: u.variables.map((x) => Math.sqrt(1 - Math.pow(u.beta2, x.step))),
    decays: u.variables.map((x) => x.decay),
    beta1: u.beta1,
    beta2: u.beta2,
    eps: u.eps,
    decay: u.decay,
    decayValue: u.decay === 'decoupled' ? 1 - u.lr * u.weightDecay : u.weightDecay,
  };
  const outs = tf.engine().runKernel(ADAM_UPDATE_KERNEL, inputs as unknown as tf.NamedTensorMap, attrs as unknown as NamedAttrMap) as tf.Tensor[];
  return u.variables.map((_, i) => ({ value: outs[3 * i], m: outs[3 * i + 1], v: outs[3 * i + 2] }));
}
