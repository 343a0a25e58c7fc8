import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend } from './wasm-backend-internals';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Pair = number | [number, number];

/**
 * `Conv2DBackpropFilter` for wasm, which tfjs-backend-wasm lacks; without it the gradient of a
 * conv1d/conv2d layer's kernel throws. `dW[fh, fw, ci, co] = Σ x[b, xr, xc, ci] · dy[b, oh, ow, co]`
 * with `xr = oh·strideH + fh·dilationH − padTop` (likewise for columns), NHWC only. Attrs as
 * tfjs passes them (`strides`, `pad`, `dataFormat`, `dimRoundingMode`, `filterShape`), plus an
 * optional `dilations` (tfjs's conv2d gradient refuses dilations > 1 before it gets here). Plain
 * JS loops over the heap, the innermost over output channels (contiguous in both `dy` and `dW`),
 * summed in float64 and written once.
 */
export function createConv2DBackpropFilterKernel(): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const attrs = args.attrs as NamedAttrMap;
    const dataFormat = String(attrs.dataFormat ?? 'NHWC');
    if (dataFormat !== 'NHWC') {
      throw new Error(`Conv2DBackpropFilter on wasm: dataFormat '${dataFormat}' is not supported; allowed: 'NHWC' (transpose NCHW input to NHWC first)`);
    }
    if (x.dtype !== 'float32' || dy.dtype !== 'float32') throw new Error(`Conv2DBackpropFilter on wasm: unsupported dtypes x ${x.dtype}, dy ${dy.dtype}; allowed: float32`);
    const filterShape = attrs.filterShape as unknown as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      attrs.strides as unknown as Pair,
      (attrs.dilations ?? 1) as unknown as Pair,
      attrs.pad as unknown as Pad,
      attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
      false,
      'channelsLast',
    );
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
    const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
    const expectedDy = [batchSize, outHeight, outWidth, outChannels];
    if (dy.shape.length !== 4 || dy.shape.some((size, i) => size !== expectedDy[i])) {
      throw new Error(`Conv2DBackpropFilter on wasm: dy has shape [${dy.shape.join(', ')}], expected [${expectedDy.join(', ')}] for x [${x.shape.join(', ')}] and filter [${filterShape.join(', ')}]`);
    }
    const top = info.padInfo.top;
    const left = info.padInfo.left;
    const sums = new Float64Array(filterHeight * filterWidth * inChannels * outChannels);
    const backend = asWasmBackend(args.backend);
    const out = backend.makeOutput([filterHeight, filterWidth, inChannels, outChannels], 'float32');
    // Views only after the allocation: a growing heap detaches earlier typed-array views.
    const xs = backend.typedArrayFromHeap(x);
    const dys = backend.typedArrayFromHeap(dy);
    const dW = backend.typedArrayFromHeap(out);
    for (let b = 0; b < batchSize; b++) {
      for (let oh = 0; oh < outHeight; oh++) {
        for (let ow = 0; ow < outWidth; ow++) {
          const dyBase = ((b * outHeight + oh) * outWidth + ow) * outChannels;
          for (let fh = 0; fh < filterHeight; fh++) {
            const xr = oh * strideHeight + fh * dilationHeight - top;
            if (xr < 0 || xr >= inHeight) continue;
            for (let fw = 0; fw < filterWidth; fw++) {
              const xc = ow * strideWidth + fw * dilationWidth - left;
              if (xc < 0 || xc >= inWidth) continue;
              const xBase = ((b * inHeight + xr) * inWidth + xc) * inChannels;
              const wBase = (fh * filterWidth + fw) * inChannels * outChannels;
              for (let ci = 0; ci < inChannels; ci++) {
                const xv = xs[xBase + ci];
                const w = wBase + ci * outChannels;
                for (let co = 0; co < outChannels; co++) sums[w + co] += xv * dys[dyBase + co];
              }
            }
          }
        }
      }
    }
    dW.set(sums);
    return out;
  };
  return { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc };
}
