import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { maxPoolGradInfo } from '../kernels/max-pool-grad-kernel';
import { checkNumericPadOf } from '../kernels/numeric-pad-guard';
import { windowsOf2D, type PoolWindows } from '../kernels/pool-windows';
import { asWasmBackend, heapOffset } from '../kernels/wasm-backend-internals';
import type { NativeKernelsAddon, NativePoolGeometry } from './native-kernels-addon';
import { withOutputs } from './native-outputs';

/** The addon's geometry of a 2-D pool's windows (depth 1). */
function nativePoolGeometry(w: PoolWindows): NativePoolGeometry {
  return {
    batch: w.batch,
    inHeight: w.inHeight,
    inWidth: w.inWidth,
    channels: w.channels,
    outHeight: w.outHeight,
    outWidth: w.outWidth,
    filterHeight: w.filter[1],
    filterWidth: w.filter[2],
    strideHeight: w.strides[1],
    strideWidth: w.strides[2],
    padTop: w.pads[1],
    padLeft: w.pads[2],
  };
}

/**
 * `MaxPoolGrad` on the native addon: the same windows as Floe's JS kernel (`js`, behind the
 * numeric-pad guard, which runs first here too), each window's first strictly greatest in-image
 * pixel per channel takes its `dy`, summed in float64 in output order, so `dx` is bit-identical to
 * the JS kernel's. int32 operands go to `js` (the addon reads float32), as does everything when the
 * addon predates `maxPoolGrad`. Same checks and errors as the JS kernel.
 * @internal
 */
export function nativeMaxPoolGrad(addon: NativeKernelsAddon, js: KernelConfig): KernelFunc {
  const pool = addon.maxPoolGrad?.bind(addon);
  if (pool === undefined) return js.kernelFunc;
  return (args) => {
    const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
    if (dy.dtype !== 'float32' || input.dtype !== 'float32') return js.kernelFunc(args);
    const attrs = (args.attrs ?? {}) as NamedAttrMap;
    checkNumericPadOf('MaxPoolGrad', args.inputs as Record<string, TensorInfo>, attrs);
    const geometry = nativePoolGeometry(windowsOf2D(maxPoolGradInfo(input, dy, attrs)));
    const backend = asWasmBackend(args.backend);
    const [dx] = withOutputs(backend, [input.shape], (heap, [dxOffset]) => pool(heap, heapOffset(backend, input), heapOffset(backend, dy), dxOffset, geometry));
    return dx;
  };
}
