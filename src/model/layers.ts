import * as tf from '@tensorflow/tfjs';
import { FLOE_GELU_TANH, FLOE_GELU_TANH_GRAD, FLOE_NORM, FLOE_NORM_GRAD, FLOE_SILU, FLOE_SILU_GRAD } from '../backend/native/fused/gelu-norm-kernels';
import { hasKernel } from '../backend/native/fused/fused-kernels';
import { addBias, scaleColumns } from './dense';

/** 2·sqrt(2/π): gelu_tanh(x) = x·sigmoid(GELU_C·(x + 0.044715x³)), since tanh(z) = 2σ(2z) − 1. */
const GELU_C = 2 * Math.sqrt(2 / Math.PI);
const GELU_C3 = GELU_C * 0.044715;

// Hand-written gradients: autodiff of the composite would emit ~14 elementwise ops plus a Cast
// per Multiply on the largest activation [B·T, ffnDim]. The backward reuses the forward's x², y
// and σ: x·(1 − σ) = x − y, so it needs 7 full-size ops.
const geluTanhOp = tf.customGrad((x, save) => {
  const xt = x as tf.Tensor;
  const x2 = tf.square(xt);
  // u = x·(C + C3·x²) = C·(x + 0.044715x³)
  const s = tf.sigmoid(tf.mul(xt, tf.add(tf.mul(x2, GELU_C3), GELU_C)));
  const y = tf.mul(xt, s);
  (save as tf.GradSaveFunc)([xt, x2, s, y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sx2, ss, sy] = saved;
      // d/dx x·σ(u) = σ(u)·(1 + x·(1 − σ(u))·u'), u' = C + 3·C3·x², x·(1 − σ) = x − y
      const du = tf.add(tf.mul(sx2, 3 * GELU_C3), GELU_C);
      const inner = tf.add(tf.mul(tf.sub(sx, sy), du), 1);
      return tf.mul(dy, tf.mul(ss, inner));
    },
  };
});

const siluOp = tf.customGrad((x, save) => {
  const xt = x as tf.Tensor;
  const s = tf.sigmoid(xt);
  const y = tf.mul(xt, s);
  (save as tf.GradSaveFunc)([s, y]);
  return {
    value: y,
    // d/dx x·σ(x) = σ(x) + x·σ(x)·(1 − σ(x)) = σ + y·(1 − σ)
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [ss, sy] = saved;
      return tf.mul(dy, tf.add(ss, tf.mul(sy, tf.sub(1, ss))));
    },
  };
});

/**
 * An activation computed by one of Floe's fused kernels (`forward`: `{x}` → y; `backward`:
 * `{dy, x}` → dx). Only x is saved: the kernel recomputes σ from it, so the tape keeps one
 * full-size tensor instead of the composite's four (x, x², σ, y).
 */
function fusedActivation(forward: string, backward: string): (x: tf.Tensor) => tf.Tensor {
  return tf.customGrad((x, save) => {
    const xt = x as tf.Tensor;
    const y = tf.engine().runKernel(forward, { x: xt }, {}) as tf.Tensor;
    (save as tf.GradSaveFunc)([xt]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.engine().runKernel(backward, { dy, x: saved[0] }, {}) as tf.Tensor,
    };
  }) as (x: tf.Tensor) => tf.Tensor;
}

const fusedGeluTanhOp = fusedActivation(FLOE_GELU_TANH, FLOE_GELU_TANH_GRAD);
const fusedSiluOp = fusedActivation(FLOE_SILU, FLOE_SILU_GRAD);

/** True when the current backend has the fused `kernel` and `x` is float32 (what it computes). */
function useFused(kernel: string, x: tf.Tensor): boolean {
  return x.dtype === 'float32' && hasKernel(kernel);
}

/**
 * GPT-2's `gelu_new` (tanh approximation), written with sigmoid and `x*x` because `tanh` and
 * `pow` are slow on wasm. Mathematically identical to `0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))`.
 * Has a hand-written gradient; one fused kernel each way where the backend has it (native).
 */
export function geluTanh<T extends tf.Tensor>(x: T): T {
  return (useFused(FLOE_GELU_TANH, x) ? fusedGeluTanhOp(x) : geluTanhOp(x)) as T;
}

/** SiLU (swish): `x·sigmoid(x)`, with a hand-written gradient; fused kernels where the backend has them. */
export function silu<T extends tf.Tensor>(x: T): T {
  return (useFused(FLOE_SILU, x) ? fusedSiluOp(x) : siluOp(x)) as T;
}

/** Options shared by {@link layerNorm} and {@link rmsNorm}. */
export interface NormOptions {
  /** Added to the variance before the square root. */
  eps: number;
  /**
   * false (default): one fused native kernel each way where the backend has it, else one
   * hand-written backward per norm (about half the elementwise ops of autodiff, whose `mean`
   * gradients also materialise a full ones tensor). true: autodiff of the
   * normalisation with the explicit gain/bias gradients of `dense.ts`, the reference the tests
   * compare the hand-written backward with (see `GptOptions.explicitTranspose`).
   */
  explicitTranspose?: boolean;
}

type Tensors = tf.Tensor[];

/**
 * `xhat·w (+ b)` with `xhat = (x − mean) · rstd` (LayerNorm, `centre`) or `x · rstd` (RMSNorm),
 * `rstd = 1/sqrt(mean(·²) + eps)` over the last axis of `[N, D]`, and the textbook backward:
 * `dx = rstd·(g − mean(g) − xhat·mean(g·xhat))` with `g = dy·w` (RMSNorm drops `mean(g)`),
 * `dw = Σ_rows dy·xhat`, `db = Σ_rows dy`.
 */
function fusedNorm(x: tf.Tensor2D, weight: tf.Tensor1D, bias: tf.Tensor1D | undefined, eps: number, centre: boolean): tf.Tensor2D {
  if (useFused(FLOE_NORM, x)) return kernelNorm(x, weight, bias, eps, centre);
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [xt, wt, bt] = args.slice(0, -1) as Tensors;
    const shifted = centre ? tf.sub(xt, tf.mean(xt, -1, true)) : xt;
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(shifted), -1, true), eps));
    const xhat = tf.mul(shifted, rstd);
    save([xhat, rstd, wt]);
    const scaled = tf.mul(xhat, wt);
    return {
      value: bt === undefined ? scaled : tf.add(scaled, bt),
      gradFunc: (dy: tf.Tensor, saved: Tensors) => {
        const [sxhat, srstd, sw] = saved;
        const g = tf.mul(dy, sw);
        const projected = tf.mul(sxhat, tf.mean(tf.mul(g, sxhat), -1, true));
        const centred = centre ? tf.sub(tf.sub(g, tf.mean(g, -1, true)), projected) : tf.sub(g, projected);
        const grads = [tf.mul(centred, srstd), tf.sum(tf.mul(dy, sxhat), 0)];
        if (bt !== undefined) grads.push(tf.sum(dy, 0));
        return grads;
      },
    };
  });
  return (bias === undefined ? op(x, weight) : op(x, weight, bias)) as tf.Tensor2D;
}

/**
 * {@link fusedNorm} as one fused kernel each way (native). The forward saves x, w and the
 * per-row mean and rstd (2 floats a row), so the backward needs no row reductions of x.
 */
function kernelNorm(x: tf.Tensor2D, weight: tf.Tensor1D, bias: tf.Tensor1D | undefined, eps: number, centre: boolean): tf.Tensor2D {
  const hasBias = bias !== undefined;
  const op = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [xt, wt, bt] = args.slice(0, -1) as Tensors;
    const inputs: tf.NamedTensorMap = bt === undefined ? { x: xt, weight: wt } : { x: xt, weight: wt, bias: bt };
    const [y, mean, rstd] = tf.engine().runKernel(FLOE_NORM, inputs, { eps, centre }) as Tensors;
    save([xt, wt, mean, rstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: Tensors) => {
        const [sx, sw, smean, srstd] = saved;
        return tf.engine().runKernel(FLOE_NORM_GRAD, { dy, x: sx, weight: sw, mean: smean, rstd: srstd }, { centre, hasBias }) as Tensors;
      },
    };
  });
  return (bias === undefined ? op(x, weight) : op(x, weight, bias)) as tf.Tensor2D;
}

/** LayerNorm over the last axis of `[N, D]`: `(x − mean) / sqrt(var + eps) · w + b` (biased var). */
export function layerNorm(x: tf.Tensor2D, weight: tf.Tensor1D, bias: tf.Tensor1D | undefined, options: NormOptions): tf.Tensor2D {
  const explicit = options.explicitTranspose ?? false;
  if (!explicit) return fusedNorm(x, weight, bias, options.eps, true);
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
  const explicit = options.explicitTranspose ?? false;
  if (!explicit) return fusedNorm(x, weight, undefined, options.eps, false);
  return tf.tidy(() => {
    const meanSquare = tf.mean(tf.mul(x, x), -1, true);
    const normed = tf.mul(x, tf.rsqrt(tf.add(meanSquare, options.eps))) as tf.Tensor2D;
    return scaleColumns(normed, weight, explicit);
  });
}
