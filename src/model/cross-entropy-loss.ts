import * as tf from '@tensorflow/tfjs';
import { ModelError } from './model-error';

/**
 * Per-token cross-entropy `−log softmax(logits)[label]`, `[B, T]`, computed with `logSoftmax`
 * (max-subtracted, so large logits do not overflow). A label outside `[0, V)` (e.g. −100)
 * yields 0; give such tokens weight 0 anyway.
 */
export function tokenCrossEntropy(logits: tf.Tensor3D, labels: tf.Tensor2D): tf.Tensor2D {
  const [b, t, v] = logits.shape;
  if (labels.rank !== 2 || labels.shape[0] !== b || labels.shape[1] !== t || labels.dtype !== 'int32') {
    throw new ModelError(`labels must be int32 [${b}, ${t}], got ${labels.dtype} [${labels.shape.join(', ')}]`);
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
