import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend } from './wasm-backend-internals';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Pair = number | [number, number];
type Shape4 = [number, number, number, number];

/** Input dtypes the kernel reads (cpu reads any numeric buffer; bool and complex make no sense here). */
const DTYPES: ReadonlySet<string> = new Set(['float32', 'int32']);

/** The pool geometry tfjs's cpu kernel uses, after checking `input` and `dy` fit it. */
function maxPoolGradInfo(input: TensorInfo, dy: TensorInfo, attrs: NamedAttrMap): tf.backend_util.Conv2DInfo {
  const kernel = 'MaxPoolGrad on wasm';
  if (input.shape.length !== 4) throw new Error(`${kernel}: input has shape [${input.shape.join(', ')}]; allowed: rank 4 (NHWC)`);
  for (const [name, t] of [['input', input], ['dy', dy]] as const) {
    if (!DTYPES.has(t.dtype)) throw new Error(`${kernel}: ${name} has dtype ${t.dtype}; allowed: ${[...DTYPES].join(', ')}`);
  }
  const geometry = (rounding: unknown): tf.backend_util.Conv2DInfo =>
    tf.backend_util.computePool2DInfo(
      input.shape as Shape4,
      attrs.filterSize as unknown as Pair,
      attrs.strides as unknown as Pair,
      1,
      attrs.pad as unknown as Pad,
      rounding as 'floor' | 'round' | 'ceil' | undefined,
    );
  const fits = (info: tf.backend_util.Conv2DInfo): boolean => dy.shape.length === 4 && dy.shape.every((size, i) => size === info.outShape[i]);
  let info = geometry(attrs.dimRoundingMode);
  if (!fits(info) && typeof attrs.pad === 'number' && attrs.dimRoundingMode === undefined) {
    // tfjs-core's MaxPool gradient drops dimRoundingMode (it passes filterSize, strides and pad only), so
    // a pool rounded up arrives with a dy one row or column taller than the default rounding gives;
    // cpu then ignores that row or column. Take the rounding dy was pooled with instead.
    info = [geometry('ceil'), geometry('round')].find(fits) ?? info;
  }
  if (!fits(info)) {
    throw new Error(`${kernel}: dy has shape [${dy.shape.join(', ')}], expected [${info.outShape.join(', ')}] for input [${input.shape.join(', ')}]`);
  }
  return info;
}

/**
 * `MaxPoolGrad` for wasm with the cpu backend's semantics; the stock kernel sends the gradient of
 * a window whose maximum is ≤ 0 to the window's first pixel (or drops it) and breaks ties on the
 * last maximum. As tfjs-backend-cpu's `maxPoolPositions`: each window's maximum is the first pixel,
 * in row-major order, strictly greater than all before it, starting from −∞ over the in-image
 * pixels only (padding is never a candidate); NaN is never greater, so it never takes the
 * gradient; a window of only NaN/−∞ passes none. `dx` sums in float64 in cpu's order (output rows,
 * then columns, ascending), so the result is bit-identical to cpu's. `output` (the pooled values)
 * is not read, like cpu. Float32 `dx` whatever the input dtype, like cpu. One deliberate difference:
 * with a numeric `pad` and a `dy` pooled with `dimRoundingMode` 'ceil' or 'round' (which tfjs-core's
 * gradient does not pass on), the windows are those of that rounding, so every output's gradient
 * arrives; cpu drops the last row and column of `dy`.
 */
export function createMaxPoolGradKernel(stock?: KernelConfig): KernelConfig {
  const kernelName = 'MaxPoolGrad';
  const kernelFunc: KernelFunc = (args) => {
    const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
    const info = maxPoolGradInfo(input, dy, args.attrs ?? {});
    const backend = asWasmBackend(args.backend);
    const out = backend.makeOutput(input.shape, 'float32');
    // Views only after the allocation: a growing heap detaches earlier typed-array views.
    const xs = backend.typedArrayFromHeap(input) as Float32Array | Int32Array;
    const dys = backend.typedArrayFromHeap(dy) as Float32Array | Int32Array;
    const sums = new Float64Array(xs.length);
    scatterToMaxima(info, { xs, dys, sums });
    backend.typedArrayFromHeap(out).set(sums);
    return out;
  };
  // The stock setup still runs when the backend starts, so the stock kernel works once unregisterWasmKernelOverrides puts it back.
  return { kernelName, backendName: 'wasm', kernelFunc, setupFunc: stock?.setupFunc };
}

/**
 * For every output position (b, oh, ow ascending), finds each channel's maximum pixel in the
 * window and adds that position's `dy` to it. The window's pixels are walked row by row with the
 * channels innermost (contiguous reads), keeping one running maximum and position per channel.
 */
function scatterToMaxima(info: tf.backend_util.Conv2DInfo, a: { xs: Float32Array | Int32Array; dys: Float32Array | Int32Array; sums: Float64Array }): void {
  const { xs, dys, sums } = a;
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight, effectiveFilterWidth } = info;
  const { top, left } = info.padInfo;
  const best = new Float64Array(inChannels);
  const at = new Int32Array(inChannels);
  let d = 0; // dy offset of (b, oh, ow, 0), in the order the loops visit
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const r0 = oh * strideHeight - top;
      const rLo = Math.max(0, r0);
      const rHi = Math.min(inHeight, r0 + effectiveFilterHeight);
      for (let ow = 0; ow < outWidth; ow++, d += inChannels) {
        const c0 = ow * strideWidth - left;
        const cLo = Math.max(0, c0);
        const cHi = Math.min(inWidth, c0 + effectiveFilterWidth);
        best.fill(-Infinity);
        at.fill(-1);
        for (let r = rLo; r < rHi; r++) {
          let p = ((b * inHeight + r) * inWidth + cLo) * inChannels;
          for (let col = cLo; col < cHi; col++, p += inChannels) {
            for (let c = 0; c < inChannels; c++) {
              const v = xs[p + c];
              // Strictly greater: ties keep the first pixel, NaN never wins (cpu's maxPoolPositions).
              if (v > best[c]) {
                best[c] = v;
                at[c] = p + c;
              }
            }
          }
        }
        for (let c = 0; c < inChannels; c++) if (at[c] >= 0) sums[at[c]] += dys[d + c];
      }
    }
  }
}
