import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend } from './wasm-backend-internals';
import { takesStockFastPath } from './stock-gemm-path';
import { wasmGemm } from './wasm-gemm';

/**
 * Floe's wasm `BatchMatMul`: every float32 case (transposes, batches, broadcast batch dims) runs
 * on XNNPACK through `wasmGemm` instead of the stock scalar loop. Untransposed 2-D products
 * that the stock kernel already runs on XNNPACK stay on it (it caches packed weights, see
 * {@link takesStockFastPath}). Other dtypes go to `stock`.
 */
export function createBatchMatMulKernel(stock: KernelConfig | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const attrs = args.attrs as NamedAttrMap;
    const transposeA = attrs.transposeA === true;
    const transposeB = attrs.transposeB === true;
    if (stock !== undefined && takesStockFastPath(a, b, transposeA, transposeB)) return stock.kernelFunc(args);
    if (a.dtype !== 'float32' || b.dtype !== 'float32') {
      if (stock === undefined) throw new Error(`BatchMatMul on wasm supports float32 only, got ${a.dtype} x ${b.dtype}`);
      return stock.kernelFunc(args);
    }
    return wasmGemm(asWasmBackend(args.backend), {
      a,
      b,
      transposeA,
      transposeB,
    });
  };
  // Keep the stock setup: the engine runs it when a wasm backend starts, and the fallback needs it.
  return { kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc, setupFunc: stock?.setupFunc };
}
