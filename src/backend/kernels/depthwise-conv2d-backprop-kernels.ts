import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend } from './wasm-backend-internals';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Pair = number | [number, number];
type Shape4 = [number, number, number, number];

/** The depthwise convolution geometry for `x` of `xShape` and a `[fh, fw, ci, multiplier]` filter; checks `dy` fits it. */
function depthwiseInfo(kernel: string, xShape: Shape4, filterShape: Shape4, dy: TensorInfo, attrs: NamedAttrMap): tf.backend_util.Conv2DInfo {
  if (dy.dtype !== 'float32') throw new Error(`${kernel} on wasm: unsupported dtype ${dy.dtype}; allowed: float32`);
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides as unknown as Pair,
    (attrs.dilations ?? 1) as unknown as Pair,
    attrs.pad as unknown as Pad,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    true,
  );
  const expected = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (dy.shape.length !== 4 || dy.shape.some((size, i) => size !== expected[i])) {
    throw new Error(`${kernel} on wasm: dy has shape [${dy.shape.join(', ')}], expected [${expected.join(', ')}] for input [${xShape.join(', ')}] and filter [${filterShape.join(', ')}]`);
  }
  return info;
}

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
    const attrs = args.attrs as NamedAttrMap;
    if (x.dtype !== 'float32') throw new Error(`${kernelName} on wasm: unsupported dtype ${x.dtype}; allowed: float32`);
    const filterShape = attrs.filterShape as unknown as Shape4;
    const info = depthwiseInfo(kernelName, x.shape as Shape4, filterShape, dy, attrs);
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
    const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
    const mul = info.outChannels / inChannels;
    const sums = new Float64Array(filterHeight * filterWidth * outChannels);
    const backend = asWasmBackend(args.backend);
    const out = backend.makeOutput(filterShape, 'float32');
    // Views only after the allocation: a growing heap detaches earlier typed-array views.
    const xs = backend.typedArrayFromHeap(x);
    const dys = backend.typedArrayFromHeap(dy);
    for (let b = 0; b < batchSize; b++) {
      for (let oh = 0; oh < outHeight; oh++) {
        for (let ow = 0; ow < outWidth; ow++) {
          const dyBase = ((b * outHeight + oh) * outWidth + ow) * outChannels;
          for (let fh = 0; fh < filterHeight; fh++) {
            const xr = oh * strideHeight + fh * dilationHeight - info.padInfo.top;
            if (xr < 0 || xr >= inHeight) continue;
            for (let fw = 0; fw < filterWidth; fw++) {
              const xc = ow * strideWidth + fw * dilationWidth - info.padInfo.left;
              if (xc < 0 || xc >= inWidth) continue;
              const xBase = ((b * inHeight + xr) * inWidth + xc) * inChannels;
              const wBase = (fh * filterWidth + fw) * outChannels;
              for (let c = 0; c < inChannels; c++) {
                const xv = xs[xBase + c];
                const k = c * mul;
                for (let q = 0; q < mul; q++) sums[wBase + k + q] += xv * dys[dyBase + k + q];
              }
            }
          }
        }
      }
    }
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
    const attrs = args.attrs as NamedAttrMap;
    if (filter.dtype !== 'float32') throw new Error(`${kernelName} on wasm: unsupported dtype ${filter.dtype}; allowed: float32`);
    const inputShape = attrs.inputShape as unknown as Shape4;
    const info = depthwiseInfo(kernelName, inputShape, filter.shape as Shape4, dy, attrs);
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
    const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
    const mul = outChannels / inChannels;
    const sums = new Float64Array(batchSize * inHeight * inWidth * inChannels);
    const backend = asWasmBackend(args.backend);
    const out = backend.makeOutput(inputShape, 'float32');
    const ws = backend.typedArrayFromHeap(filter);
    const dys = backend.typedArrayFromHeap(dy);
    for (let b = 0; b < batchSize; b++) {
      for (let oh = 0; oh < outHeight; oh++) {
        for (let ow = 0; ow < outWidth; ow++) {
          const dyBase = ((b * outHeight + oh) * outWidth + ow) * outChannels;
          for (let fh = 0; fh < filterHeight; fh++) {
            const xr = oh * strideHeight + fh * dilationHeight - info.padInfo.top;
            if (xr < 0 || xr >= inHeight) continue;
            for (let fw = 0; fw < filterWidth; fw++) {
              const xc = ow * strideWidth + fw * dilationWidth - info.padInfo.left;
              if (xc < 0 || xc >= inWidth) continue;
              const xBase = ((b * inHeight + xr) * inWidth + xc) * inChannels;
              const wBase = (fh * filterWidth + fw) * outChannels;
              for (let c = 0; c < inChannels; c++) {
                const k = c * mul;
                let s = 0;
                for (let q = 0; q < mul; q++) s += ws[wBase + k + q] * dys[dyBase + k + q];
                sums[xBase + c] += s;
              }
            }
          }
        }
      }
    }
    backend.typedArrayFromHeap(out).set(sums);
    return out;
  };
  return { kernelName, backendName: 'wasm', kernelFunc };
}
