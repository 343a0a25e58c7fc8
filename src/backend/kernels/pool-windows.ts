import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';

/**
 * The pooling windows of a 2D or 3D pool over channels-last data, as one 3D geometry (a 2D pool
 * has depth 1). Filter sizes are the effective (dilated) ones; Floe's pool kernels see dilation 1 only.
 */
export interface PoolWindows {
  /** Batch size, input depth, height, width and channels (NDHWC). */
  batch: number;
  inDepth: number;
  inHeight: number;
  inWidth: number;
  channels: number;
  /** Output depth, height and width. */
  outDepth: number;
  outHeight: number;
  outWidth: number;
  /** Strides along depth, height and width. */
  strides: [number, number, number];
  /** Effective filter depth, height and width. */
  filter: [number, number, number];
  /** Padding before the first pixel along depth, height and width. */
  pads: [number, number, number];
}

/** The windows of a 2D pool, from tfjs's `computePool2DInfo`. */
export function windowsOf2D(info: tf.backend_util.Conv2DInfo): PoolWindows {
  return {
    batch: info.batchSize,
    inDepth: 1,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    channels: info.inChannels,
    outDepth: 1,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    strides: [1, info.strideHeight, info.strideWidth],
    filter: [1, info.effectiveFilterHeight, info.effectiveFilterWidth],
    pads: [0, info.padInfo.top, info.padInfo.left],
  };
}

/** The windows of a 3D pool, from tfjs's `computePool3DInfo`. */
export function windowsOf3D(info: tf.backend_util.Conv3DInfo): PoolWindows {
  return {
    batch: info.batchSize,
    inDepth: info.inDepth,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    channels: info.inChannels,
    outDepth: info.outDepth,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    strides: [info.strideDepth, info.strideHeight, info.strideWidth],
    filter: [info.effectiveFilterDepth, info.effectiveFilterHeight, info.effectiveFilterWidth],
    pads: [info.padInfo.front, info.padInfo.top, info.padInfo.left],
  };
}

/** Input dtypes Floe's pool kernels read (cpu reads any numeric buffer; bool and complex make no sense here). */
const DTYPES: ReadonlySet<string> = new Set(['float32', 'int32']);

/** Throws unless every tensor has dtype float32 or int32, naming the kernel and the tensor. */
export function checkPoolDtypes(kernel: string, tensors: Record<string, TensorInfo>): void {
  for (const [name, t] of Object.entries(tensors)) {
    if (!DTYPES.has(t.dtype)) throw new Error(`${kernel}: ${name} has dtype ${t.dtype}; allowed: ${[...DTYPES].join(', ')}`);
  }
}

/** Throws unless `shape` has `rank` axes, naming the kernel, the tensor and the layout. */
export function checkPoolRank(kernel: string, name: string, shape: number[], layout: 'NHWC' | 'NDHWC'): void {
  if (shape.length !== layout.length) throw new Error(`${kernel}: ${name} has shape [${shape.join(', ')}]; allowed: rank ${layout.length} (${layout})`);
}

/** Throws unless `dy` has the pool's output shape. */
export function checkDyShape(kernel: string, dy: TensorInfo, input: TensorInfo, outShape: number[]): void {
  if (dy.shape.length !== outShape.length || dy.shape.some((size, i) => size !== outShape[i])) {
    throw new Error(`${kernel}: dy has shape [${dy.shape.join(', ')}], expected [${outShape.join(', ')}] for input [${input.shape.join(', ')}]`);
  }
}

/** Running maxima of one window, one entry per channel; `at` is -1 where no pixel won. */
export interface WindowMaxima {
  /** Each channel's maximum (−∞ where no pixel won). */
  best: Float64Array;
  /** Flat input offset of each channel's maximum, or -1. */
  at: Int32Array;
}

/**
 * Visits every output position (b, od, oh, ow ascending) with each channel's maximum over the
 * window's in-image pixels (padding is never a candidate) and its flat input offset, as
 * tfjs-backend-cpu finds them: starting from −∞, a pixel wins when it is strictly greater
 * (`ties: 'first'`, cpu's `pool` and `maxPoolPositions`) or greater or equal (`ties: 'last'`,
 * cpu's `maxPool3dPositions`) in depth, row, column order; NaN never wins, so a window of NaN
 * alone has maximum −∞ and offset -1 (with 'last', −∞ pixels win). `visit` gets the output
 * offset of (b, od, oh, ow, 0); the arrays it gets are reused for the next position. Pixels are
 * read with the channels innermost (contiguous).
 */
export function forEachWindowMax(
  w: PoolWindows,
  xs: Float32Array | Int32Array,
  ties: 'first' | 'last',
  visit: (out: number, maxima: WindowMaxima) => void,
): void {
  const { batch, inDepth, inHeight, inWidth, channels, outDepth, outHeight, outWidth } = w;
  const [strideD, strideH, strideW] = w.strides;
  const [filterD, filterH, filterW] = w.filter;
  const [front, top, left] = w.pads;
  const lastWins = ties === 'last';
  const maxima: WindowMaxima = { best: new Float64Array(channels), at: new Int32Array(channels) };
  const { best, at } = maxima;
  let out = 0;
  for (let b = 0; b < batch; b++) {
    for (let od = 0; od < outDepth; od++) {
      const d0 = od * strideD - front;
      const dLo = Math.max(0, d0);
      const dHi = Math.min(inDepth, d0 + filterD);
      for (let oh = 0; oh < outHeight; oh++) {
        const r0 = oh * strideH - top;
        const rLo = Math.max(0, r0);
        const rHi = Math.min(inHeight, r0 + filterH);
        for (let ow = 0; ow < outWidth; ow++, out += channels) {
          const c0 = ow * strideW - left;
          const cLo = Math.max(0, c0);
          const cHi = Math.min(inWidth, c0 + filterW);
          best.fill(-Infinity);
          at.fill(-1);
          for (let d = dLo; d < dHi; d++) {
            for (let r = rLo; r < rHi; r++) {
              let p = (((b * inDepth + d) * inHeight + r) * inWidth + cLo) * channels;
              for (let col = cLo; col < cHi; col++, p += channels) {
                for (let c = 0; c < channels; c++) {
                  const v = xs[p + c];
                  if (v > best[c] || (lastWins && v === best[c])) {
                    best[c] = v;
                    at[c] = p + c;
                  }
                }
              }
            }
          }
          visit(out, maxima);
        }
      }
    }
  }
}

/**
 * Adds each output position's `dy` to the input pixel that holds the window's maximum, in output
 * order (so float64 sums in cpu's order: bit-identical once rounded to float32). Windows without
 * a maximum (only NaN) pass nothing.
 */
export function scatterToMaxima(
  w: PoolWindows,
  a: { xs: Float32Array | Int32Array; dys: Float32Array | Int32Array; sums: Float64Array; ties: 'first' | 'last' },
): void {
  const { dys, sums } = a;
  const channels = w.channels;
  forEachWindowMax(w, a.xs, a.ties, (out, { at }) => {
    for (let c = 0; c < channels; c++) if (at[c] >= 0) sums[at[c]] += dys[out + c];
  });
}
