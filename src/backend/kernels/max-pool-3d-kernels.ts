import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { checkDyShape, checkPoolDtypes, checkPoolRank, forEachWindowMax, scatterToMaxima, windowsOf3D, type PoolWindows } from './pool-windows';
import { asWasmBackend } from './wasm-backend-internals';

type Triple = number | [number, number, number];
type Pad = 'valid' | 'same' | number;

/** The pool geometry tfjs's cpu kernels use for the input `x` (NDHWC, named `name` in errors) and the kernel's attributes. */
function pool3DWindows(kernel: string, input: { name: string; x: TensorInfo }, attrs: NamedAttrMap): { windows: PoolWindows; outShape: number[] } {
  const { name, x } = input;
  checkPoolRank(kernel, name, x.shape, 'NDHWC');
  const info = tf.backend_util.computePool3DInfo(
    x.shape as [number, number, number, number, number],
    attrs.filterSize as unknown as Triple,
    attrs.strides as unknown as Triple,
    1,
    attrs.pad as unknown as Pad,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
  return { windows: windowsOf3D(info), outShape: info.outShape };
}

/**
 * `MaxPool3D` for wasm with the cpu backend's results; the stock kernel starts each window's
 * maximum at 1.18e-38 (FLT_MIN) instead of −∞, so a window whose pixels are all ≤ 0 pools to
 * 1.18e-38. As tfjs-backend-cpu's `pool3d`: the first pixel strictly greater than all before it
 * (depth, row, column order) over the in-image pixels, from −∞; NaN is skipped, so a window of
 * NaN alone pools to −∞. Float32 output whatever the input dtype, like cpu.
 */
export function createMaxPool3DKernel(stock?: KernelConfig): KernelConfig {
  const kernelName = 'MaxPool3D';
  const kernelFunc: KernelFunc = (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const kernel = 'MaxPool3D on wasm';
    checkPoolDtypes(kernel, { x });
    const { windows, outShape } = pool3DWindows(kernel, { name: 'x', x }, args.attrs ?? {});
    const backend = asWasmBackend(args.backend);
    const out = backend.makeOutput(outShape, 'float32');
    // Views only after the allocation: a growing heap detaches earlier typed-array views.
    const xs = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
    const ys = backend.typedArrayFromHeap(out) as Float32Array;
    forEachWindowMax(windows, xs, 'first', (o, { best }) => ys.set(best, o));
    return out;
  };
  // The stock setup still runs when the backend starts, so the stock kernel works once unregisterWasmKernelOverrides puts it back.
  return { kernelName, backendName: 'wasm', kernelFunc, setupFunc: stock?.setupFunc };
}

/**
 * `MaxPool3DGrad` for wasm with the cpu backend's gradients; the stock kernel misroutes the
 * gradient of windows whose maximum is ≤ 0 (and of some windows with 'same' padding). As
 * tfjs-backend-cpu's `maxPool3dPositions`, and unlike 2D pooling, ties go to the LAST maximum
 * (depth, row, column order; pixel ≥ running maximum from −∞, so a window of only −∞ gives it
 * to its last pixel); padding is never a candidate; NaN never wins (a window of NaN alone
 * passes nothing). `dx` sums in float64 in cpu's order (bit-identical to cpu). `output` is not
 * read, like cpu. One deliberate difference: with a window whose height and width differ, cpu
 * flattens the maximum's position with the height where the width belongs and so sends the
 * gradient to another pixel or drops it; Floe sends it to the maximum.
 */
export function createMaxPool3DGradKernel(stock?: KernelConfig): KernelConfig {
  const kernelName = 'MaxPool3DGrad';
  const kernelFunc: KernelFunc = (args) => {
    const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
    const kernel = 'MaxPool3DGrad on wasm';
    checkPoolDtypes(kernel, { input, dy });
    const { windows, outShape } = pool3DWindows(kernel, { name: 'input', x: input }, args.attrs ?? {});
    checkDyShape(kernel, dy, input, outShape);
    const backend = asWasmBackend(args.backend);
    const out = backend.makeOutput(input.shape, 'float32');
    const xs = backend.typedArrayFromHeap(input) as Float32Array | Int32Array;
    const dys = backend.typedArrayFromHeap(dy) as Float32Array | Int32Array;
    const sums = new Float64Array(xs.length);
    scatterToMaxima(windows, { xs, dys, sums, ties: 'last' });
    backend.typedArrayFromHeap(out).set(sums);
    return out;
  };
  return { kernelName, backendName: 'wasm', kernelFunc, setupFunc: stock?.setupFunc };
}
