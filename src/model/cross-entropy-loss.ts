import * as tf from '@tensorflow/tfjs';
import { SOFTMAX_CROSS_ENTROPY, SOFTMAX_CROSS_ENTROPY_GRAD } from '../backend/native/fused/cross-entropy-kernels';
import { hasKernel } from '../backend/native/fused/fused-kernels';
import { ModelError } from './model-error';

/**
 * Per-token cross-entropy `−log softmax(logits)[label]`, `[B, T]`, computed with `logSoftmax`
 * (max-subtracted, so large logits do not overflow). A label outside `[0, V)` (e.g. −100)
 * yields 0 and no gradient; give such tokens weight 0 anyway. Runs as one fused native kernel
 * each way when the backend has it (wasm with the native addon), else as a composite of stock ops.
 */
export function tokenCrossEntropy(logits: tf.Tensor3D, labels: tf.Tensor2D): tf.Tensor2D {
  const [b, t, v] = logits.shape;
  if (labels.rank !== 2 || labels.shape[0] !== b || labels.shape[1] !== t || labels.dtype !== 'int32') {
    throw new ModelError(`labels must be int32 [${b}, ${t}], got ${labels.dtype} [${labels.shape.join(', ')}]`);
  }
  if (logits.dtype === 'float32' && b * t * v > 0 && hasKernel(SOFTMAX_CROSS_ENTROPY) && hasKernel(SOFTMAX_CROSS_ENTROPY_GRAD)) {
    return fusedTokenCrossEntropy(logits, labels);
  }
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(tf.reshape(logits, [b * t, v]));
    // One-hot product rather than a gather: differentiable on every backend without scatter kernels.
    // Built as int32 then cast: tfjs-wasm's OneHot ignores a float32 dtype and writes int bits.
    const oneHot = tf.cast(tf.oneHot(tf.reshape(labels, [b * t]), v), 'float32');
    const picked = tf.sum(tf.mul(logProbs, oneHot), -1);
    return tf.reshape(tf.neg(picked), [b, t]) as tf.Tensor2D;
  });
}

/**
 * The fused kernels: the forward keeps two floats per row (max, log Σ exp) instead of `[B·T, V]`
 * log-probabilities, and the backward rebuilds softmax from them in the pass that writes the
 * gradient. Gradient w.r.t. logits only: labels are a closure, saved so they outlive the forward.
 */
function fusedTokenCrossEntropy(logits: tf.Tensor3D, labels: tf.Tensor2D): tf.Tensor2D {
  const loss = tf.customGrad((x, save) => {
    const xt = x as tf.Tensor;
    const [value, stats] = tf.engine().runKernel(SOFTMAX_CROSS_ENTROPY, { logits: xt, labels }) as tf.Tensor[];
    (save as tf.GradSaveFunc)([xt, labels, stats]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedLogits, savedLabels, savedStats] = saved;
        return tf.engine().runKernel(SOFTMAX_CROSS_ENTROPY_GRAD, { logits: savedLogits, labels: savedLabels, stats: savedStats, dy }) as tf.Tensor;
      },
    };
  });
  return loss(logits) as tf.Tensor2D;
}

/**
 * Mean next-token loss over real tokens: `Σ w·CE / Σ w`, with `weights` float32 `[B, T]`
 * (1 for a counted token, 0 for padding or prompt; fractional weights are allowed).
 * Returns 0 when every weight is 0.
 */
export function crossEntropyLoss(logits: tf.Tensor3D, labels: tf.Tensor2D, weights: tf.Tensor2D): tf.Scalar {
  if (weights.rank !== 2 || weights.shape[0] !== labels.shape[0] || weights.shape[1] !== labels.shape[1]) {
    throw new ModelError(`weights must be [${labels.shape.join(', ')}], got [${weights.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    const w = tf.cast(weights, 'float32');
    const total = tf.sum(tf.mul(tokenCrossEntropy(logits, labels), w));
    return tf.div(total, tf.maximum(tf.sum(w), 1e-12)) as tf.Scalar;
  });
}
