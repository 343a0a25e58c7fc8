import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { checkNumericPadOf } from '../kernels/numeric-pad-guard';
import { asWasmBackend, heapOffset } from '../kernels/wasm-backend-internals';
import { nativeConvGeometry } from './native-conv-geometry';
import { NATIVE_ACTIVATIONS, type NativeKernelsAddon } from './native-kernels-addon';
import { withOutputs } from './native-outputs';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Pair = number | [number, number];
type ConvInputs = { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };

/** The activations the addon fuses into the convolution; tfjs's others (prelu, elu, ...) stay on the stock kernel. */
const FUSED_ACTIVATIONS = { linear: NATIVE_ACTIVATIONS.linear, relu: NATIVE_ACTIVATIONS.relu } as const;

/** True if `bias` holds exactly one float32 value per output channel. */
function isChannelBias(bias: TensorInfo, outChannels: number): boolean {
  const shape = bias.shape;
  return bias.dtype === 'float32' && shape.length >= 1 && shape[shape.length - 1] === outChannels && tf.util.sizeFromShape(shape) === outChannels;
}

/**
 * `Conv2D` and `FusedConv2D` on the native addon: every filter tap's input pixels are gathered
 * (memcpy runs, zeros for padding) into scratch the addon keeps per thread, and one packed GEMM
 * per chunk of output rows multiplies them by the filter read in place as
 * `[taps·inChannels, outChannels]` (its HWIO layout), with a per-channel bias and 'linear' or
 * 'relu' in the GEMM's epilogue. The numeric-pad guard of the stock kernel (`js`, see
 * `checkNumericPad`) runs first, so a pad tfjs sizes wrongly is refused alike on both paths.
 * NCHW, non-float32 operands, other activations, prelu weights and other bias shapes go to `js`,
 * as does everything when the addon predates `conv2d`.
 * @internal
 */
export function nativeConv2D(addon: NativeKernelsAddon, js: KernelConfig): KernelFunc {
  const conv = addon.conv2d?.bind(addon);
  if (conv === undefined) return js.kernelFunc;
  const kernelName = js.kernelName as 'Conv2D' | 'FusedConv2D';
  return (args) => {
    const inputs = args.inputs as ConvInputs;
    const { x, filter, bias } = inputs;
    const attrs = (args.attrs ?? {}) as NamedAttrMap;
    checkNumericPadOf(kernelName, args.inputs as Record<string, TensorInfo>, attrs);
    const dataFormat = String(attrs.dataFormat ?? 'NHWC');
    const activation = String(attrs.activation ?? 'linear');
    const outChannels = filter.shape[3];
    const native =
      (dataFormat === 'NHWC' || dataFormat === 'channelsLast') &&
      x.dtype === 'float32' &&
      filter.dtype === 'float32' &&
      x.shape.length === 4 &&
      filter.shape.length === 4 &&
      x.shape[3] === filter.shape[2] &&
      inputs.preluActivationWeights === undefined &&
      activation in FUSED_ACTIVATIONS &&
      (bias === undefined || isChannelBias(bias, outChannels));
    if (!native) return js.kernelFunc(args);
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides as unknown as Pair,
      (attrs.dilations ?? 1) as unknown as Pair,
      attrs.pad as unknown as Pad,
      attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    );
    const backend = asWasmBackend(args.backend);
    const code = FUSED_ACTIVATIONS[activation as keyof typeof FUSED_ACTIVATIONS];
    const [y] = withOutputs(backend, [[info.batchSize, info.outHeight, info.outWidth, info.outChannels]], (heap, [yOffset]) =>
      conv(heap, heapOffset(backend, x), heapOffset(backend, filter), bias === undefined ? -1 : heapOffset(backend, bias), yOffset, nativeConvGeometry(info), code),
    );
    return y;
  };
}
