import * as tf from '@tensorflow/tfjs';

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
