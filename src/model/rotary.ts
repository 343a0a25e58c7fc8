import * as tf from '@tensorflow/tfjs';
import { hasKernel } from '../backend/native/fused/fused-kernels';
import { ROPE_PACKED, ropePackedAttrs, ropePackedSupports } from '../backend/native/fused/rope-packed-kernel';
import type { Llama3RopeScaling, RopeScaling, YarnRopeScaling } from './rope-scaling-config';

/** Cosine and signed-sine tables for {@link applyRope}, each `[B or 1, 1, T, headDim]`. */
export interface RopeTables {
  /** `cos(pos·f_i)` repeated over both halves of the head. */
  cos: tf.Tensor4D;
  /** `[−sin(pos·f_i), +sin(pos·f_i)]`: the sign of rotate-half folded in. */
  sinSigned: tf.Tensor4D;
}

/**
 * RoPE inverse frequencies `f_i = theta^(−2i/headDim)`, i < headDim/2, computed in float64 and
 * rounded once to float32, then scaled as HF's `modeling_rope_utils.py` does for the
 * {@link RopeScaling} type: `llama3` (long wavelengths divided by `factor`, the middle band
 * blended), `linear` (all divided by `factor`), `yarn` (a ramp between `f/factor` and `f`),
 * `dynamic` (unchanged: HF rescales only past the original context, which Floe refuses). Every
 * RoPE table (training, KV-cache decoding, packed native rope, the tfjs graph export) is built
 * from these and {@link ropeAttentionFactor}.
 */
export function ropeInverseFrequencies(headDim: number, theta: number, scaling?: RopeScaling): Float32Array {
  const half = headDim / 2;
  const invFreq = new Float32Array(half);
  const ramp = scaling?.type === 'yarn' ? yarnRamp(headDim, theta, scaling) : undefined;
  for (let i = 0; i < half; i++) {
    const f = 1 / Math.pow(theta, (2 * i) / headDim);
    if (scaling === undefined || scaling.type === 'dynamic') invFreq[i] = f;
    else if (scaling.type === 'llama3') invFreq[i] = llama3Frequency(f, scaling);
    else if (scaling.type === 'linear') invFreq[i] = f / scaling.factor;
    else {
      // HF: extrapolation weight 1 − ramp keeps f, the ramp's weight interpolates f / factor.
      const r = (ramp as (i: number) => number)(i);
      invFreq[i] = (f / scaling.factor) * r + f * (1 - r);
    }
  }
  return invFreq;
}

function llama3Frequency(f: number, s: Llama3RopeScaling): number {
  const wavelength = (2 * Math.PI) / f;
  if (wavelength < s.originalMaxLength / s.highFreqFactor) return f;
  if (wavelength > s.originalMaxLength / s.lowFreqFactor) return f / s.factor;
  const smooth = (s.originalMaxLength / wavelength - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
  return ((1 - smooth) * f) / s.factor + smooth * f;
}

/**
 * YaRN's ramp over rotary pairs (HF `_compute_yarn_parameters`): 0 below the dimension at which
 * the original context makes `betaFast` turns, 1 above the one making `betaSlow` turns, linear
 * between; the ends rounded outwards when `truncate` (default true) and clipped to [0, headDim − 1].
 */
function yarnRamp(headDim: number, theta: number, s: YarnRopeScaling): (i: number) => number {
  const dimAt = (turns: number): number => (headDim * Math.log(s.originalMaxLength / (turns * 2 * Math.PI))) / (2 * Math.log(theta));
  let low = dimAt(s.betaFast ?? 32);
  let high = dimAt(s.betaSlow ?? 1);
  if (s.truncate !== false) [low, high] = [Math.floor(low), Math.ceil(high)];
  [low, high] = [Math.max(low, 0), Math.min(high, headDim - 1)];
  // HF's guard against a zero-width ramp.
  if (low === high) high += 0.001;
  return (i) => Math.min(1, Math.max(0, (i - low) / (high - low)));
}

/**
 * The factor HF multiplies cos and sin by (its `attention_scaling`): 1 except for `yarn`, where it
 * is `attentionFactor`, or DeepSeek's `mscale(factor, mscale) / mscale(factor, mscaleAllDim)` when
 * both are set, or `mscale(factor) = 0.1·ln(factor) + 1` (1 for factor ≤ 1).
 */
export function ropeAttentionFactor(scaling?: RopeScaling): number {
  if (scaling?.type !== 'yarn') return 1;
  if (scaling.attentionFactor !== undefined) return scaling.attentionFactor;
  const mscale = (m: number): number => (scaling.factor <= 1 ? 1 : 0.1 * m * Math.log(scaling.factor) + 1);
  if (scaling.mscale !== undefined && scaling.mscaleAllDim !== undefined) return mscale(scaling.mscale) / mscale(scaling.mscaleAllDim);
  return mscale(1);
}

/**
 * Builds RoPE tables from integer positions `[B, T]` (or `[1, T]` to broadcast over the batch),
 * angles `pos·f_i` with {@link ropeInverseFrequencies}, in the rotate-half (HF Llama) layout:
 * channel i pairs with channel i + headDim/2; both tables times {@link ropeAttentionFactor}.
 */
export function ropeTables(positions: tf.Tensor2D, headDim: number, theta: number, scaling?: RopeScaling): RopeTables {
  const invFreq = ropeInverseFrequencies(headDim, theta, scaling);
  const attention = ropeAttentionFactor(scaling);
  return tf.tidy(() => {
    const [b, t] = positions.shape;
    const angles = tf.mul(tf.reshape(tf.cast(positions, 'float32'), [b, t, 1]), tf.tensor1d(invFreq));
    // As HF, cos and sin (not the angles) carry the attention factor.
    const cosHalf = attention === 1 ? tf.cos(angles) : tf.mul(tf.cos(angles), attention);
    const sinHalf = attention === 1 ? tf.sin(angles) : tf.mul(tf.sin(angles), attention);
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

/**
 * {@link applyRope} on the query and key blocks of a packed projection `qkv [B·T, 3·D]` (every
 * head's query, then keys, then values), values untouched, for the fused attention core. With
 * Floe's fused kernels it is one pass each way (`FloeRopePacked`, same float32 rounding as the
 * composite); otherwise the composite on `[B, T, 2·heads, headDim]`, which takes the tables as
 * `[B or 1, T, 1, headDim]` without any head transpose.
 */
export function applyRopePacked(qkv: tf.Tensor2D, tables: RopeTables, batch: number, heads: number): tf.Tensor2D {
  if (hasKernel(ROPE_PACKED) && ropePackedSupports(qkv, tables.cos, tables.sinSigned, batch, heads)) {
    const forward = ropePackedAttrs({ batch, heads, inverse: false });
    const backward = ropePackedAttrs({ batch, heads, inverse: true });
    const rotate = tf.customGrad((x) => ({
      value: tf.engine().runKernel(ROPE_PACKED, { x: x as tf.Tensor, cos: tables.cos, sinSigned: tables.sinSigned }, forward) as tf.Tensor,
      gradFunc: (dy: tf.Tensor) => tf.engine().runKernel(ROPE_PACKED, { x: dy, cos: tables.cos, sinSigned: tables.sinSigned }, backward) as tf.Tensor,
    }));
    return rotate(qkv) as tf.Tensor2D;
  }
  return tf.tidy(() => {
    const [n, width] = qkv.shape;
    const d = width / 3;
    const t = n / batch;
    const headDim = d / heads;
    const [qk, v] = tf.split(qkv, [2 * d, d], 1);
    const perToken = (x: tf.Tensor4D): tf.Tensor4D => tf.reshape(x, [x.shape[0], t, 1, headDim]);
    const rotated = applyRope(tf.reshape(qk, [batch, t, 2 * heads, headDim]), { cos: perToken(tables.cos), sinSigned: perToken(tables.sinSigned) });
    return tf.concat([tf.reshape(rotated, [n, 2 * d]), v], 1) as tf.Tensor2D;
  });
}
