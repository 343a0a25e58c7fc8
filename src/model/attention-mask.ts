import * as tf from '@tensorflow/tfjs';

/** Added to attention scores of forbidden pairs; large enough that softmax gives them exactly 0. */
export const MASKED_SCORE = -1e9;

/**
 * Additive causal mask `[1, 1, T, past + T]`: 0 where key ≤ query, {@link MASKED_SCORE} above.
 * `past` keys come before the `T` queries (cached tokens, see `KvCache`); every query sees them.
 */
export function causalBias(length: number, past = 0): tf.Tensor4D {
  const keys = past + length;
  const values = new Float32Array(length * keys);
  for (let q = 0; q < length; q++) {
    for (let k = past + q + 1; k < keys; k++) values[q * keys + k] = MASKED_SCORE;
  }
  return tf.tensor4d(values, [1, 1, length, keys]);
}

/** Result of {@link segmentBias}. */
export interface SegmentMask {
  /** Additive mask `[B, 1, T, T]`: causal and within the same segment. */
  bias: tf.Tensor4D;
  /**
   * Position of each token inside its segment, `[B, T]` int32: the number of earlier tokens
   * of the same segment. Restarts at 0 for each packed document.
   */
  positions: tf.Tensor2D;
}

/**
 * Block-diagonal causal mask for packed sequences: a token sees earlier tokens whose segment id
 * equals its own, so documents packed into one row do not attend to each other.
 */
export function segmentBias(segmentIds: tf.Tensor2D): SegmentMask {
  return tf.tidy(() => {
    const [b, t] = segmentIds.shape;
    const sameSegment = tf.equal(tf.reshape(segmentIds, [b, t, 1]), tf.reshape(segmentIds, [b, 1, t]));
    const lowerTriangle = tf.cast(tf.linalg.bandPart(tf.ones([t, t]), -1, 0), 'bool');
    const allowed = tf.cast(tf.logicalAnd(sameSegment, lowerTriangle), 'float32'); // [B, T, T]
    const bias = tf.reshape(tf.mul(tf.sub(1, allowed), MASKED_SCORE), [b, 1, t, t]) as tf.Tensor4D;
    const positions = tf.cast(tf.sub(tf.sum(allowed, -1), 1), 'int32') as tf.Tensor2D;
    return { bias, positions };
  });
}
