import * as tf from '@tensorflow/tfjs';
import { OptionChecks } from './option-checks';

/**
 * The global L2 norm over all gradients, `sqrt(sum_i ||g_i||²)`, as a tensor (no host read).
 * The caller owns the returned scalar. An empty map gives 0.
 */
export function globalNorm(grads: Map<string, tf.Tensor>): tf.Scalar {
  return tf.tidy(() => {
    const squares = [...grads.values()].map((g) => g.square().sum());
    if (squares.length === 0) return tf.scalar(0);
    return (squares.length === 1 ? squares[0] : tf.addN(squares)).sqrt() as tf.Scalar;
  });
}

/**
 * The clip coefficient `maxNorm / max(norm, maxNorm)` of {@link clipByGlobalNorm}, for callers
 * that fold it into the update instead (see `ApplyGradientsOptions.gradScale`). The caller owns it.
 */
export function clipCoefficient(norm: tf.Scalar, maxNorm: number): tf.Scalar {
  new OptionChecks().require(Number.isFinite(maxNorm) && maxNorm > 0, 'maxNorm', `must be a finite number > 0, got ${maxNorm}`).throwIfAny('Invalid clipping options');
  return tf.tidy(() => tf.div(maxNorm, tf.maximum(norm, maxNorm)) as tf.Scalar);
}

/**
 * Scales all gradients by one coefficient so that their global L2 norm is at most `maxNorm`.
 *
 * Coefficient: `maxNorm / max(norm, maxNorm)`. It is exactly 1 when `norm <= maxNorm` (small
 * gradients come back bit-identical) and exactly `maxNorm / norm` otherwise, so the clipped norm
 * equals `maxNorm` up to float32 rounding. We drop PyTorch's `+1e-6` in `maxNorm/(norm + 1e-6)`:
 * it is only there to avoid dividing by zero, which `max(norm, maxNorm)` (with `maxNorm > 0`)
 * already rules out, and it makes the clipped norm land slightly below `maxNorm`.
 *
 * Nothing is read on the host: `norm` is the pre-clip global norm as a tensor, for the caller to
 * read with its other logged scalars (and to check for NaN/Inf, which poison all gradients).
 *
 * Ownership: the input gradients are neither modified nor disposed; the returned `grads` (new
 * tensors, same names) and `norm` belong to the caller.
 */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): { grads: Map<string, tf.Tensor>; norm: tf.Scalar } {
  const norm = globalNorm(grads);
  let coef: tf.Scalar;
  try {
    coef = clipCoefficient(norm, maxNorm);
  } catch (error) {
    norm.dispose();
    throw error;
  }
  const clipped = new Map<string, tf.Tensor>();
  for (const [name, g] of grads) clipped.set(name, tf.mul(g, coef));
  coef.dispose();
  return { grads: clipped, norm };
}
