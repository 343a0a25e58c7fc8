import * as tf from '@tensorflow/tfjs';
import { maskedSoftmax } from './masked-softmax';

/** Dropout on a tensor (the identity when off). */
type Dropout = <T extends tf.Tensor>(x: T) => T;

// GptModel's attention products, apart from the model so gpt-model.ts stays small.

/** `softmax(q·kᵀ + mask)·v` per head: `[B, H, T, hd]` each (keys and values `[B, H, S, hd]`). */
export function attend(qh: tf.Tensor4D, kh: tf.Tensor4D, vh: tf.Tensor4D, ctx: { mask: tf.Tensor4D; drop: Dropout }): tf.Tensor4D {
  const probs = ctx.drop(maskedSoftmax(tf.matMul(qh, kh, false, true), ctx.mask));
  return tf.matMul(probs, vh);
}

/**
 * Grouped-query attention: query head h reads key/value head ⌊h / g⌋ (g = heads / kvHeads), as
 * HF's `repeat_kv`. Rather than copying each K/V head g times, a group's g query heads (adjacent
 * in `[B, H, T, hd]`) are folded into one `[B, kvHeads, g·T, hd]` operand by a free reshape, so
 * each product runs once per K/V head and its gradient sums the group's contributions itself.
 */
export function attendGrouped(qh: tf.Tensor4D, kh: tf.Tensor4D, vh: tf.Tensor4D, ctx: { mask: tf.Tensor4D; drop: Dropout }): tf.Tensor4D {
  const [b, heads, t, hd] = qh.shape;
  const [, kvHeads, s] = kh.shape;
  const grouped = tf.reshape(qh, [b, kvHeads, (heads / kvHeads) * t, hd]);
  const scores = tf.reshape(tf.matMul(grouped, kh, false, true), [b, heads, t, s]) as tf.Tensor4D;
  const probs = ctx.drop(maskedSoftmax(scores, ctx.mask));
  const mixed = tf.matMul(tf.reshape(probs, [b, kvHeads, (heads / kvHeads) * t, s]) as tf.Tensor4D, vh);
  return tf.reshape(mixed, [b, heads, t, hd]);
}
