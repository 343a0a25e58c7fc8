import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend } from './wasm-backend-internals';

/**
 * Floe's wasm `Cast`: a cast to the dtype the tensor already has shares the buffer (as the cpu
 * backend does) instead of copying it. tfjs's gradient of `mul` casts its saved operand to
 * float32, so the stock copy ran on every saved activation of the backward pass. Real
 * conversions go to `stock`, except to `bool`, where the stock kernel copies truncated bytes
 * (int32 2 → bool 2) instead of testing `x != 0` as the cpu backend does. Sharing is safe for the
 * reasons given for the zero-copy `Identity`.
 */
export function createCastKernel(stock: KernelConfig | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const dtype = (args.attrs as NamedAttrMap).dtype;
    if (dtype === 'bool' && (x.dtype === 'float32' || x.dtype === 'int32')) {
      const backend = asWasmBackend(args.backend);
      const out = backend.makeOutput([...x.shape], 'bool');
      // Views only after the allocation: a growing heap detaches earlier typed-array views.
      const src = backend.typedArrayFromHeap(x);
      const dst = backend.typedArrayFromHeap(out);
      for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 ? 1 : 0;
      return out;
    }
    if (dtype !== x.dtype || x.dtype === 'string' || x.dtype === 'complex64') {
      if (stock === undefined) throw new Error('Cast on wasm: stock kernel missing');
      return stock.kernelFunc(args);
    }
    asWasmBackend(args.backend).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
  return { kernelName: 'Cast', backendName: 'wasm', kernelFunc, setupFunc: stock?.setupFunc };
}
