import * as tf from '@tensorflow/tfjs';
import { addBias, scaleColumns } from './dense';

/** 2·sqrt(2/π): gelu_tanh(x) = x·sigmoid(GELU_C·(x + 0.044715x³)), since tanh(z) = 2σ(2z) − 1. */
const GELU_C = 2 * Math.sqrt(2 / Math.PI);

/**
 * GPT-2's `gelu_new` (tanh approximation), written with sigmoid and `x*x*x` because `tanh` and
 * `pow` are slow on wasm. Mathematically identical to `0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))`.
 */
export function geluTanh<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => {
    const cube = tf.mul(tf.mul(x, x), x);
    const inner = tf.mul(tf.add(x, tf.mul(cube, 0.044715)), GELU_C);
    return tf.mul(x, tf.sigmoid(inner)) as T;
  });
}

/** SiLU (swish): `x·sigmoid(x)`. */
export function silu<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)) as T);
}

/** Options shared by {@link layerNorm} and {@link rmsNorm}. */
export interface NormOptions {
  /** Added to the variance before the square root. */
  eps: number;
  /** Use the wasm-friendly gain/bias gradients (see `GptOptions.explicitTranspose`). */
  explicitTranspose?: boolean;
}

/** LayerNorm over the last axis of `[N, D]`: `(x − mean) / sqrt(var + eps) · w + b` (biased var). */
export function layerNorm(x: tf.Tensor2D, weight: tf.Tensor1D, bias: tf.Tensor1D | undefined, options: NormOptions): tf.Tensor2D {
  const explicit = options.explicitTranspose ?? true;
  return tf.tidy(() => {
    const centred = tf.sub(x, tf.mean(x, -1, true));
    const variance = tf.mean(tf.mul(centred, centred), -1, true);
    const normed = tf.mul(centred, tf.rsqrt(tf.add(variance, options.eps))) as tf.Tensor2D;
    const scaled = scaleColumns(normed, weight, explicit);
    return bias === undefined ? scaled : addBias(scaled, bias, explicit);
  });
}

/** RMSNorm over the last axis of `[N, D]`: `x / sqrt(mean(x²) + eps) · w`. */
export function rmsNorm(x: tf.Tensor2D, weight: tf.Tensor1D, options: NormOptions): tf.Tensor2D {
  const explicit = options.explicitTranspose ?? true;
  return tf.tidy(() => {
    const meanSquare = tf.mean(tf.mul(x, x), -1, true);
    const normed = tf.mul(x, tf.rsqrt(tf.add(meanSquare, options.eps))) as tf.Tensor2D;
    return scaleColumns(normed, weight, explicit);
  });
}
