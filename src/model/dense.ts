import * as tf from '@tensorflow/tfjs';

/** Options of {@link linear}. */
export interface LinearOptions {
  /** Added to every row of the product; shape `[out]`. */
  bias?: tf.Tensor1D;
  /** Treat `weight` as `[out, in]` and use its transpose (the tied LM head, `x @ E^T`). */
  transposeWeight?: boolean;
  /** Backward as explicit transposes + untransposed GEMMs (see `GptOptions.explicitTranspose`). */
  explicitTranspose?: boolean;
}

/**
 * Sums the rows of `[N, C]` into `[C]`. Floe's wasm `Sum` kernel runs this leading-axis sum as a
 * streaming loop (the stock kernel transposes first, and a ones-row GEMM re-packs `x`: both ~5×
 * slower).
 */
export function sumRows(x: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(x, 0);
}

// x[N,in] @ w[in,out]; grads dy @ w^T and x^T @ dy, each as an explicit transpose + plain GEMM.
const matMulExplicit = tf.customGrad((x, w, save) => {
  (save as tf.GradSaveFunc)([x as tf.Tensor, w as tf.Tensor]);
  return {
    value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as tf.Tensor2D[];
      const dy2 = dy as tf.Tensor2D;
      return [tf.matMul(dy2, tf.transpose(sw)), tf.matMul(tf.transpose(sx), dy2)];
    },
  };
});

// x[N,in] @ w[out,in]^T; grads dy @ w (already untransposed) and dy^T @ x.
const matMulTransposedExplicit = tf.customGrad((x, w, save) => {
  (save as tf.GradSaveFunc)([x as tf.Tensor, w as tf.Tensor]);
  return {
    value: tf.matMul(x as tf.Tensor2D, tf.transpose(w as tf.Tensor2D)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as tf.Tensor2D[];
      const dy2 = dy as tf.Tensor2D;
      return [tf.matMul(dy2, sw), tf.matMul(tf.transpose(dy2), sx)];
    },
  };
});

// y[N,C] + b[C]; the bias gradient is a ones-row GEMM instead of a leading-axis Sum.
const addBiasExplicit = tf.customGrad((y, b) => ({
  value: tf.add(y as tf.Tensor2D, b as tf.Tensor1D),
  gradFunc: (dy: tf.Tensor) => [dy, sumRows(dy as tf.Tensor2D)],
}));

// x[N,C] * w[C]; same trick for the scale gradient.
const scaleColumnsExplicit = tf.customGrad((x, w, save) => {
  (save as tf.GradSaveFunc)([x as tf.Tensor, w as tf.Tensor]);
  return {
    value: tf.mul(x as tf.Tensor2D, w as tf.Tensor1D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw] = saved;
      return [tf.mul(dy, sw), sumRows(tf.mul(dy, sx) as tf.Tensor2D)];
    },
  };
});

/**
 * Dense layer `x @ W (+ b)` on a 2-D `[N, in]` input. Weights are stored `[in, out]` so the
 * forward product needs no transpose (PyTorch stores `[out, in]`).
 */
export function linear(x: tf.Tensor2D, weight: tf.Tensor2D, options: LinearOptions = {}): tf.Tensor2D {
  const explicit = options.explicitTranspose ?? false;
  const transposeWeight = options.transposeWeight === true;
  if (!explicit) {
    // The bias rides along inside the GEMM (XNNPACK adds it per column); its gradient is a
    // leading-axis Sum of dy.
    return tf.fused.matMul({ a: x, b: weight, transposeB: transposeWeight, bias: options.bias }) as tf.Tensor2D;
  }
  return tf.tidy(() => {
    let y = transposeWeight ? (matMulTransposedExplicit(x, weight) as tf.Tensor2D) : (matMulExplicit(x, weight) as tf.Tensor2D);
    if (options.bias !== undefined) y = addBias(y, options.bias, explicit);
    return y;
  });
}

/** `y + b` broadcast over rows, with a wasm-friendly bias gradient when `explicit`. */
export function addBias(y: tf.Tensor2D, bias: tf.Tensor1D, explicit = false): tf.Tensor2D {
  return explicit ? (addBiasExplicit(y, bias) as tf.Tensor2D) : tf.add(y, bias);
}

/** `x * w` broadcast over rows (a norm's gain), with a wasm-friendly gradient when `explicit`. */
export function scaleColumns(x: tf.Tensor2D, weight: tf.Tensor1D, explicit = false): tf.Tensor2D {
  return explicit ? (scaleColumnsExplicit(x, weight) as tf.Tensor2D) : tf.mul(x, weight);
}
