import * as tf from '@tensorflow/tfjs';
import { hasKernel } from '../backend/native/fused/fused-kernels';
import { ROPE_PACKED, ropePackedAttrs, ropePackedSupports } from '../backend/native/fused/rope-packed-kernel';
import type { RopeScaling } from './rope-scaling-config';

/** Cosine and signed-sine tables for {@link applyRope}, each `[B or 1, 1, T, headDim]`. */
export interface RopeTables {
  /** `cos(pos·f_i)` repeated over both halves of the head. */
  cos: tf.Tensor4D;
  /** `[−sin(pos·f_i), +sin(pos·f_i)]`: the sign of rotate-half folded in. */
  sinSigned: tf.Tensor4D;
}

/**
 * RoPE inverse frequencies `f_i = theta^(−2i/headDim)`, i < headDim/2, computed in float64 and
 * rounded once to float32; with `scaling` (Llama 3.1's `llama3`, see {@link RopeScaling}) the
 * long wavelengths are divided by `factor` and the middle band blended, as HF's
 * `_compute_llama3_parameters`. Every RoPE table (training, KV-cache decoding, packed native
 * rope, the tfjs graph export) is built from these.
 */
export function ropeInverseFrequencies(headDim: number, theta: number, scaling?: RopeScaling): Float32Array {
  const half = headDim / 2;
  const invFreq = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    const f = 1 / Math.pow(theta, (2 * i) / headDim);
    invFreq[i] = scaling === undefined ? f : llama3Frequency(f, scaling);
  }
  return invFreq;
}

function llama3Frequency(f: number, s: RopeScaling): number {
  const wavelength = (2 * Math.PI) / f;
  if (wavelength < s.originalMaxLength / s.highFreqFactor) return f;
  if (wavelength > s.originalMaxLength / s.lowFreqFactor) return f / s.factor;
  const smooth = (s.originalMaxLength / wavelength - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
  return ((1 - smooth) * f) / s.factor + smooth * f;
}

/**
 * Builds RoPE tables from integer positions `[B, T]` (or `[1, T]` to broadcast over the batch),
 * angles `pos·f_i` with {@link ropeInverseFrequencies}, in the rotate-half (HF Llama) layout:
 * channel i pairs with channel i + headDim/2.
 */
export function ropeTables(positions: tf.Tensor2D, headDim: number, theta: number, scaling?: RopeScaling): RopeTables {
  const invFreq = ropeInverseFrequencies(headDim, theta, scaling);
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
