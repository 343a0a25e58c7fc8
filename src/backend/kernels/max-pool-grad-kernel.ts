import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { checkDyShape, checkPoolDtypes, checkPoolRank, scatterToMaxima, windowsOf2D } from './pool-windows';
import { asWasmBackend } from './wasm-backend-internals';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Pair = number | [number, number];
type Shape4 = [number, number, number, number];

/**
 * The pool geometry tfjs's cpu kernel uses, after checking `input` and `dy` fit it (rank, dtypes,
 * `dy`'s shape; see {@link createMaxPoolGradKernel} on the rounding taken from `dy`).
 * @internal
 */
export function maxPoolGradInfo(input: TensorInfo, dy: TensorInfo, attrs: NamedAttrMap): tf.backend_util.Conv2DInfo {
  const kernel = 'MaxPoolGrad on wasm';
  checkPoolRank(kernel, 'input', input.shape, 'NHWC');
  checkPoolDtypes(kernel, { input, dy });
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
  checkDyShape(kernel, dy, input, info.outShape);
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
    scatterToMaxima(windowsOf2D(info), { xs, dys, sums, ties: 'first' });
    backend.typedArrayFromHeap(out).set(sums);
    return out;
  };
  // The stock setup still runs when the backend starts, so the stock kernel works once unregisterWasmKernelOverrides puts it back.
  return { kernelName, backendName: 'wasm', kernelFunc, setupFunc: stock?.setupFunc };
}
