import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend, heapOffset } from '../kernels/wasm-backend-internals';
import { NATIVE_ACTIVATIONS, type NativeKernelsAddon } from './native-kernels-addon';
import { nativeConv2D } from './native-conv2d';
import { nativeConv2DBackpropFilter } from './native-conv2d-backprop-filter';
import { nativeConv2DBackpropInput } from './native-conv2d-backprop-input';
import { nativeGemm } from './native-gemm';
import { nativeMaxPoolGrad } from './native-max-pool-grad';
import { withOutputs } from './native-outputs';
import { activeNativeAddon } from './native-kernels-status';

type FusedInputs = { a: TensorInfo; b: TensorInfo; bias?: TensorInfo };

/** True if `bias` holds exactly one float32 value per output column. */
function isColumnBias(bias: TensorInfo, n: number): boolean {
  const shape = bias.shape;
  return bias.dtype === 'float32' && shape.length >= 1 && shape[shape.length - 1] === n && tf.util.sizeFromShape(shape) === n;
}

function nativeBatchMatMul(addon: NativeKernelsAddon, js: KernelConfig): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return js.kernelFunc(args);
    const attrs = args.attrs as NamedAttrMap;
    return nativeGemm(asWasmBackend(args.backend), addon, { a, b, transposeA: attrs.transposeA === true, transposeB: attrs.transposeB === true });
  };
}

/** Bias per column and linear/relu/relu6 run fused in the native GEMM; anything else goes to `js`. */
function nativeFusedMatMul(addon: NativeKernelsAddon, js: KernelConfig): KernelFunc {
  return (args) => {
    const { a, b, bias } = args.inputs as FusedInputs;
    const attrs = args.attrs as NamedAttrMap;
    const activation = String(attrs.activation ?? 'linear');
    const transposeB = attrs.transposeB === true;
    const n = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    const fusable = a.dtype === 'float32' && b.dtype === 'float32' && (bias === undefined || isColumnBias(bias, n)) && activation in NATIVE_ACTIVATIONS;
    if (!fusable) return js.kernelFunc(args);
    return nativeGemm(asWasmBackend(args.backend), addon, {
      a,
      b,
      transposeA: attrs.transposeA === true,
      transposeB,
      bias,
      activation: activation as keyof typeof NATIVE_ACTIVATIONS,
    });
  };
}

/** float32 sums over leading axes (`[N, C]` → `[C]`) run natively; other sums go to `js`. */
function nativeSum(addon: NativeKernelsAddon, js: KernelConfig): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const attrs = args.attrs as NamedAttrMap;
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape).sort((p, q) => p - q);
    const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((axis, i) => axis === i);
    if (x.dtype !== 'float32' || !leading) return js.kernelFunc(args);
    const backend = asWasmBackend(args.backend);
    const rows = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
    const innerShape = x.shape.slice(axes.length);
    const cols = tf.util.sizeFromShape(innerShape);
    const [out] = withOutputs(backend, [attrs.keepDims === true ? [...axes.map(() => 1), ...innerShape] : innerShape], (heap, [outOff]) =>
      addon.sumRows(heap, heapOffset(backend, x), outOff, rows, cols),
    );
    return out;
  };
}

const WRAPPERS: Record<string, (addon: NativeKernelsAddon, js: KernelConfig) => KernelFunc> = {
  BatchMatMul: nativeBatchMatMul,
  _FusedMatMul: nativeFusedMatMul,
  Sum: nativeSum,
  Conv2D: nativeConv2D,
  FusedConv2D: nativeConv2D,
  Conv2DBackpropFilter: nativeConv2DBackpropFilter,
  Conv2DBackpropInput: nativeConv2DBackpropInput,
  MaxPoolGrad: nativeMaxPoolGrad,
};

/**
 * Wraps one of Floe's wasm kernel configs with its native version when the native kernels are
 * active (see `nativeKernelsStatus`); cases the addon does not handle (other dtypes, activations,
 * bias shapes, reductions, an addon built before a kernel existed) fall through to `js`. Returns `js` itself otherwise.
 */
export function withNativeKernel(js: KernelConfig): KernelConfig {
  const wrap = WRAPPERS[js.kernelName];
  if (wrap === undefined) return js;
  const addon = activeNativeAddon();
  if (addon === undefined) return js;
  return { ...js, kernelFunc: wrap(addon, js) };
}
