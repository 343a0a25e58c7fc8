import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend } from './wasm-backend-internals';

/**
 * Zero-copy wasm `Identity`. The stock kernel memcpys, and tfjs runs Identity (via `clone`) on
 * every tensor it keeps for the backward pass. Sharing the buffer is safe for the same reason the
 * stock `Reshape` shares it: tfjs tensors are immutable, no wasm kernel writes into an input, a
 * `Variable.assign` swaps in a new dataId rather than writing, and the backend's per-dataId
 * refCount (raised here, as Reshape does) frees the buffer only when its last tensor is disposed.
 * Strings keep the stock path.
 */
export function createIdentityKernel(stock: KernelConfig | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype === 'string' || x.dtype === 'complex64') {
      if (stock === undefined) throw new Error(`Identity on wasm: unsupported dtype ${x.dtype}`);
      return stock.kernelFunc(args);
    }
    asWasmBackend(args.backend).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
  return { kernelName: 'Identity', backendName: 'wasm', kernelFunc, setupFunc: stock?.setupFunc };
}
