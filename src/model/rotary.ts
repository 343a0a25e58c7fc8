import * as tf from '@tensorflow/tfjs';

/** Cosine and signed-sine tables for {@link applyRope}, each `[B or 1, 1, T, headDim]`. */
export interface RopeTables {
  /** `cos(pos·f_i)` repeated over both halves of the head. */
  cos: tf.Tensor4D;
  /** `[−sin(pos·f_i), +sin(pos·f_i)]`: the sign of rotate-half folded in. */
  sinSigned: tf.Tensor4D;
}

/**
 * Builds RoPE tables from integer positions `[B, T]` (or `[1, T]` to broadcast over the batch).
 * Frequencies `f_i = theta^(−2i/headDim)`, i < headDim/2, in the rotate-half (HF Llama) layout:
 * channel i pairs with channel i + headDim/2.
 */
export function ropeTables(positions: tf.Tensor2D, headDim: number, theta: number): RopeTables {
  const half = headDim / 2;
  const invFreq = new Float32Array(half);
  for (let i = 0; i < half; i++) invFreq[i] = 1 / Math.pow(theta, (2 * i) / headDim);
  return tf.tidy(() => {
    const [b, t] = positions.shape;
    const angles = tf.mul(tf.reshape(tf.cast(positions, 'float32'), [b, t, 1]), tf.tensor1d(invFreq));
    const cosHalf = tf.cos(angles);
    const sinHalf = tf.sin(angles);
    const cos = tf.reshape(tf.concat([cosHalf, cosHalf], 2), [b, 1, t, headDim]) as tf.Tensor4D;
    const sinSigned = tf.reshape(tf.concat([tf.neg(sinHalf), sinHalf], 2), [b, 1, t, headDim]) as tf.Tensor4D;
    return { cos, sinSigned };
  });
}

/**
 * Rotates query or key heads `[B, H, T, headDim]`:
 * `out[i] = x[i]·cos − x[i+h]·sin`, `out[i+h] = x[i+h]·cos + x[i]·sin` (h = headDim/2).
 */
export function applyRope(x: tf.Tensor4D, tables: RopeTables): tf.Tensor4D {
  return tf.tidy(() => {
    const half = x.shape[3] / 2;
    const [first, second] = tf.split(x, [half, half], 3);
    const swapped = tf.concat([second, first], 3);
    return tf.add(tf.mul(x, tables.cos), tf.mul(swapped, tables.sinSigned)) as tf.Tensor4D;
  });
}
