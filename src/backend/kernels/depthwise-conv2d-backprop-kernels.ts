import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { convGradientInfo, forEachTap, type Shape4 } from './conv-taps';
import { asWasmBackend } from './wasm-backend-internals';

/**
 * `DepthwiseConv2dNativeBackpropFilter` for wasm, which tfjs-backend-wasm lacks (the filter
 * gradient of depthwiseConv2d/separableConv2d layers): `dW[fh, fw, c, q] = Σ x[b, xr, xc, c] ·
 * dy[b, oh, ow, c·multiplier + q]`, NHWC. A JS loop over the heap, the innermost over the
 * multiplier (contiguous in `dy` and `dW`), summed in float64.
 */
export function createDepthwiseConv2dBackpropFilterKernel(): KernelConfig {
  const kernelName = 'DepthwiseConv2dNativeBackpropFilter';
  const kernelFunc: KernelFunc = (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const filterShape = (args.attrs as NamedAttrMap).filterShape as unknown as Shape4;
    const info = convGradientInfo(kernelName, x.shape as Shape4, filterShape, [x, dy], dy, args.attrs as NamedAttrMap, true);
    const { inChannels, outChannels } = info;
    const mul = outChannels / inChannels;
    const sums = new Float64Array(info.filterHeight * info.filterWidth * outChannels);
    const backend = asWasmBackend(args.backend);
    const out = backend.makeOutput(filterShape, 'float32');
    // Views only after the allocation: a growing heap detaches earlier typed-array views.
    const xs = backend.typedArrayFromHeap(x);
    const dys = backend.typedArrayFromHeap(dy);
    forEachTap(info, (xBase, dyBase, tap) => {
      const wBase = tap * outChannels;
      for (let c = 0; c < inChannels; c++) {
        const xv = xs[xBase + c];
        const k = c * mul;
        for (let q = 0; q < mul; q++) sums[wBase + k + q] += xv * dys[dyBase + k + q];
      }
    });
    backend.typedArrayFromHeap(out).set(sums);
    return out;
  };
  return { kernelName, backendName: 'wasm', kernelFunc };
}

/**
 * `DepthwiseConv2dNativeBackpropInput` for wasm, which tfjs-backend-wasm lacks (the input
 * gradient of depthwiseConv2d/separableConv2d layers): `dx[b, xr, xc, c] = Σ W[fh, fw, c, q] ·
 * dy[b, oh, ow, c·multiplier + q]` over the taps that read `(xr, xc)`, NHWC. A JS loop over the
 * heap scattering into a float64 buffer, the innermost over the multiplier.
 */
export function createDepthwiseConv2dBackpropInputKernel(): KernelConfig {
  const kernelName = 'DepthwiseConv2dNativeBackpropInput';
  const kernelFunc: KernelFunc = (args) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const inputShape = (args.attrs as NamedAttrMap).inputShape as unknown as Shape4;
    const info = convGradientInfo(kernelName, inputShape, filter.shape as Shape4, [filter, dy], dy, args.attrs as NamedAttrMap, true);
    const { inChannels, outChannels } = info;
    const mul = outChannels / inChannels;
    const sums = new Float64Array(info.batchSize * info.inHeight * info.inWidth * inChannels);
    const backend = asWasmBackend(args.backend);
    const out = backend.makeOutput(inputShape, 'float32');
    const ws = backend.typedArrayFromHeap(filter);
    const dys = backend.typedArrayFromHeap(dy);
    forEachTap(info, (xBase, dyBase, tap) => {
      const wBase = tap * outChannels;
      for (let c = 0; c < inChannels; c++) {
        const k = c * mul;
        let s = 0;
        for (let q = 0; q < mul; q++) s += ws[wBase + k + q] * dys[dyBase + k + q];
        sums[xBase + c] += s;
      }
    });
    backend.typedArrayFromHeap(out).set(sums);
    return out;
  };
  return { kernelName, backendName: 'wasm', kernelFunc };
}
