import * as tf from '@tensorflow/tfjs';
import { ATTENTION_CORE, ATTENTION_CORE_GRAD, attentionCoreAttrs, attentionCoreSupports } from '../backend/native/fused/attention-core-kernels';
import { hasKernel } from '../backend/native/fused/fused-kernels';

/**
 * Multi-head attention `softmax(QKᵀ/√hd + mask)·V` straight from the packed projection
 * `qkv [B·T, 3·D]` (queries of every head, then keys, then values) to `[B·T, D]`, as one fused
 * native kernel each way: each head's blocks are read and written in place, so the split into
 * q, k, v, the four head transposes and their gradients' concat disappear. The tape keeps qkv and
 * the probabilities. Undefined when the backend lacks the kernels or the operands do not fit
 * (the caller runs the composite). The mask is a constant: it gets no gradient. Multi-head only:
 * with grouped-query attention (fewer key/value heads, a narrower qkv) the GPT runs the composite.
 */
export function fusedAttention(qkv: tf.Tensor2D, mask: tf.Tensor4D, batch: number, heads: number): tf.Tensor2D | undefined {
  if (!canFuseAttention(qkv, mask, batch, heads)) return undefined;
  const headDim = qkv.shape[1] / (3 * heads);
  const attrs = attentionCoreAttrs({ batch, heads, scale: 1 / Math.sqrt(headDim) });
  const core = tf.customGrad((x, save) => {
    const [out, probs] = tf.engine().runKernel(ATTENTION_CORE, { qkv: x as tf.Tensor, mask }, attrs) as tf.Tensor[];
    (save as tf.GradSaveFunc)([x as tf.Tensor, probs]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.engine().runKernel(ATTENTION_CORE_GRAD, { qkv: saved[0], probs: saved[1], dy }, attrs) as tf.Tensor,
    };
  });
  return core(qkv) as tf.Tensor2D;
}

/** True when {@link fusedAttention} takes these operands on the current backend. */
export function canFuseAttention(qkv: tf.Tensor2D, mask: tf.Tensor4D, batch: number, heads: number): boolean {
  return hasKernel(ATTENTION_CORE) && hasKernel(ATTENTION_CORE_GRAD) && attentionCoreSupports(qkv, mask, batch, heads);
}
