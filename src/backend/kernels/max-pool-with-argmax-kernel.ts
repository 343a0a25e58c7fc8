import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { checkPoolDtypes, checkPoolRank, forEachWindowMax, windowsOf2D } from './pool-windows';
import { asWasmBackend } from './wasm-backend-internals';

type Pair = number | [number, number];

/**
 * `MaxPoolWithArgmax` for wasm with the cpu backend's values and indexes; the stock kernel starts
 * each window's maximum at 1.18e-38, so a window whose pixels are all ≤ 0 pools to 1.18e-38 with
 * index 0, and breaks ties differently. As tfjs-backend-cpu: the first pixel strictly greater
 * than all before it (row-major) over the in-image pixels, from −∞; NaN is skipped (a window of
 * NaN alone gives −∞ and index -1). The index is the pixel's flat offset in NHWC,
 * `((b·H + y)·W + x)·C + c` with `includeBatchInIndex`, `(y·W + x)·C + c` without. Pooled values
 * keep the input dtype, indexes are int32.
 */
export function createMaxPoolWithArgmaxKernel(stock?: KernelConfig): KernelConfig {
  const kernelName = 'MaxPoolWithArgmax';
  const kernelFunc: KernelFunc = (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const attrs = args.attrs ?? {};
    const kernel = 'MaxPoolWithArgmax on wasm';
    checkPoolRank(kernel, 'x', x.shape, 'NHWC');
    checkPoolDtypes(kernel, { x });
    const info = tf.backend_util.computePool2DInfo(
      x.shape as [number, number, number, number],
      attrs.filterSize as unknown as Pair,
      attrs.strides as unknown as Pair,
      [1, 1],
      attrs.pad as unknown as 'valid' | 'same' | number,
    );
    const backend = asWasmBackend(args.backend);
    const pooled = backend.makeOutput(info.outShape, x.dtype);
    const indexes = backend.makeOutput(info.outShape, 'int32');
    // Views only after the allocations: a growing heap detaches earlier typed-array views.
    const xs = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
    const values = backend.typedArrayFromHeap(pooled) as Float32Array | Int32Array;
    const index = backend.typedArrayFromHeap(indexes) as Int32Array;
    const imageSize = info.inHeight * info.inWidth * info.inChannels;
    const withBatch = attrs.includeBatchInIndex === true;
    forEachWindowMax(windowsOf2D(info), xs, 'first', (o, { best, at }) => {
      values.set(best, o);
      // at = -1 (no maximum) stays -1, as cpu's; otherwise drop the batch offset unless asked for.
      const batchOffset = withBatch ? 0 : Math.floor(o / (info.outHeight * info.outWidth * info.inChannels)) * imageSize;
      for (let c = 0; c < at.length; c++) index[o + c] = at[c] < 0 ? -1 : at[c] - batchOffset;
    });
    return [pooled, indexes];
  };
  // The stock setup still runs when the backend starts, so the stock kernel works once unregisterWasmKernelOverrides puts it back.
  return { kernelName, backendName: 'wasm', kernelFunc, setupFunc: stock?.setupFunc };
}
