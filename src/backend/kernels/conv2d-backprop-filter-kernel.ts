import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { convGradientInfo, forEachTap, type Shape4 } from './conv-taps';
import { asWasmBackend } from './wasm-backend-internals';

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
  const kernelName = 'Conv2DBackpropFilter';
  const kernelFunc: KernelFunc = (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const filterShape = (args.attrs as NamedAttrMap).filterShape as unknown as Shape4;
    const info = convGradientInfo(kernelName, x.shape as Shape4, filterShape, [x, dy], dy, args.attrs as NamedAttrMap, false);
    const { inChannels, outChannels } = info;
    const sums = new Float64Array(filterShape[0] * filterShape[1] * inChannels * outChannels);
    const backend = asWasmBackend(args.backend);
    const out = backend.makeOutput(filterShape, 'float32');
    // Views only after the allocation: a growing heap detaches earlier typed-array views.
    const xs = backend.typedArrayFromHeap(x);
    const dys = backend.typedArrayFromHeap(dy);
    forEachTap(info, (xBase, dyBase, tap) => {
      const wBase = tap * inChannels * outChannels;
      for (let ci = 0; ci < inChannels; ci++) {
        const xv = xs[xBase + ci];
        const w = wBase + ci * outChannels;
        for (let co = 0; co < outChannels; co++) sums[w + co] += xv * dys[dyBase + co];
      }
    });
    backend.typedArrayFromHeap(out).set(sums);
    return out;
  };
  return { kernelName, backendName: 'wasm', kernelFunc };
}
