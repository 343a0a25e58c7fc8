import * as tf from '@tensorflow/tfjs';
import { ATTENTION_SOFTMAX, ATTENTION_SOFTMAX_GRAD, attentionSoftmaxSupports } from '../backend/native/fused/attention-softmax-kernels';
import { hasKernel } from '../backend/native/fused/fused-kernels';

/**
 * Attention probabilities `softmax(scores + mask)` over the last axis, for `scores [B, H, Tq, Tk]`
 * and an additive `mask` (see `causalBias`, `segmentBias`) broadcast to them. Runs as one fused
 * native kernel each way when the backend has it and the mask is `[1 or B, 1, Tq, Tk]` float32;
 * else as `tf.softmax(tf.add(scores, mask))`. The mask is a constant: the fused path gives it no
 * gradient (the composite's, Σ over heads of dscores, is never used by the model).
 */
export function maskedSoftmax(scores: tf.Tensor4D, mask: tf.Tensor4D): tf.Tensor4D {
  if (attentionSoftmaxSupports(scores, mask) && hasKernel(ATTENTION_SOFTMAX) && hasKernel(ATTENTION_SOFTMAX_GRAD)) {
    return fusedMaskedSoftmax(scores, mask);
  }
  return tf.tidy(() => tf.softmax(tf.add(scores, mask)) as tf.Tensor4D);
}

/**
 * The fused kernels: the forward keeps only the probabilities (the composite also keeps
 * `scores + mask`), and the backward reads them with dy in one pass per row. Gradient w.r.t.
 * scores only: the mask is a closure.
 */
function fusedMaskedSoftmax(scores: tf.Tensor4D, mask: tf.Tensor4D): tf.Tensor4D {
  const softmax = tf.customGrad((x, save) => {
    const probs = tf.engine().runKernel(ATTENTION_SOFTMAX, { scores: x as tf.Tensor, mask }) as tf.Tensor;
    (save as tf.GradSaveFunc)([probs]);
    return {
      value: probs,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.engine().runKernel(ATTENTION_SOFTMAX_GRAD, { probs: saved[0], dy }) as tf.Tensor,
    };
  });
  return softmax(scores) as tf.Tensor4D;
}
