import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { convGradientInfo, type Shape4 } from '../kernels/conv-taps';
import { checkNumericPad } from '../kernels/numeric-pad-guard';
import { asWasmBackend, heapOffset } from '../kernels/wasm-backend-internals';
import { nativeConvGeometry } from './native-conv-geometry';
import type { NativeKernelsAddon } from './native-kernels-addon';
import { withOutputs } from './native-outputs';

const kernelName = 'Conv2DBackpropInput';

/**
 * A numeric `pad` as explicit padding, so the geometry has the true output width: tfjs sizes both
 * output axes from the filter height and the row stride when `pad` is a number (tfjs#649).
 */
function truePad(pad: unknown): unknown {
  if (typeof pad !== 'number') return pad;
  return [
    [0, 0],
    [pad, pad],
    [pad, pad],
    [0, 0],
  ];
}

/**
 * `Conv2DBackpropInput` on the native addon: per group of filter taps one packed GEMM
 * `dy · W[taps]ᵀ` (`dy` read in place as `[batch·outH·outW, outChannels]`, `W`'s rows of the taps
 * in place) into scratch the addon keeps per thread, whose rows are added into the input pixels
 * each tap read (padding skipped); a 1×1 stride-1 unpadded filter is one GEMM straight into `dx`.
 * The numeric-pad guard of the stock kernel (`js`, see `checkNumericPad`) runs first, so a pad
 * tfjs sizes wrongly is refused alike on both paths; the geometry then takes the true output
 * width. Also honours a `dilations` attr, which tfjs's conv2d gradient never passes (the stock
 * kernel and cpu ignore it). NCHW and non-float32 operands go to `js`, as does everything when
 * the addon predates `conv2dBackpropInput`. A `dy` that does not fit `inputShape` is refused (the
 * stock kernel would read past it).
 * @internal
 */
export function nativeConv2DBackpropInput(addon: NativeKernelsAddon, js: KernelConfig): KernelFunc {
  const conv = addon.conv2dBackpropInput?.bind(addon);
  if (conv === undefined) return js.kernelFunc;
  return (args) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const attrs = args.attrs as NamedAttrMap;
    const dataFormat = attrs.dataFormat ?? 'NHWC';
    if ((dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') || dy.dtype !== 'float32' || filter.dtype !== 'float32') return js.kernelFunc(args);
    const inputShape = attrs.inputShape as unknown as Shape4;
    const filterShape = filter.shape as Shape4;
    checkNumericPad(kernelName, { xShape: inputShape, filterHW: [filterShape[0], filterShape[1]], attrs });
    const info = convGradientInfo(kernelName, inputShape, filterShape, [dy, filter], dy, { ...attrs, dataFormat: 'NHWC', pad: truePad(attrs.pad) } as NamedAttrMap, false);
    const backend = asWasmBackend(args.backend);
    const [dx] = withOutputs(backend, [inputShape], (heap, [dxOffset]) => conv(heap, heapOffset(backend, dy), heapOffset(backend, filter), dxOffset, nativeConvGeometry(info)));
    return dx;
  };
}
