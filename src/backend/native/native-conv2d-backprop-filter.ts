import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { convGradientInfo, type Shape4 } from '../kernels/conv-taps';
import { asWasmBackend, heapOffset } from '../kernels/wasm-backend-internals';
import { nativeConvGeometry } from './native-conv-geometry';
import type { NativeKernelsAddon } from './native-kernels-addon';
import { withOutputs } from './native-outputs';

/**
 * `Conv2DBackpropFilter` on the native addon: per group of filter taps, the input rows the taps
 * read are gathered (memcpy runs, zeros for padding) into scratch the addon keeps per thread, and
 * `dW[taps] = Xtapsᵀ · dy` runs as one packed GEMM with `dy` read in place as
 * `[batch·outH·outW, outChannels]`. Same attrs, checks and errors as Floe's JS kernel (`js`),
 * which stays the kernel when the addon predates `conv2dBackpropFilter`.
 * @internal
 */
export function nativeConv2DBackpropFilter(addon: NativeKernelsAddon, js: KernelConfig): KernelFunc {
  const conv = addon.conv2dBackpropFilter?.bind(addon);
  if (conv === undefined) return js.kernelFunc;
  return (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const attrs = args.attrs as NamedAttrMap;
    const filterShape = attrs.filterShape as unknown as Shape4;
    const info = convGradientInfo('Conv2DBackpropFilter', x.shape as Shape4, filterShape, [x, dy], dy, attrs, false);
    const backend = asWasmBackend(args.backend);
    const [dw] = withOutputs(backend, [filterShape], (heap, [dwOffset]) => conv(heap, heapOffset(backend, x), heapOffset(backend, dy), dwOffset, nativeConvGeometry(info)));
    return dw;
  };
}
