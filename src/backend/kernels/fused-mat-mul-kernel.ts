import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';
import { asWasmBackend, type WasmBackendInternals } from './wasm-backend-internals';
import { takesStockFastPath } from './stock-gemm-path';
import { wasmGemm, type GemmClamp } from './wasm-gemm';

type Inputs = { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };

const CLAMPS: readonly string[] = ['linear', 'relu', 'relu6'];

/** Runs a stock wasm kernel directly (kernel to kernel, outside the engine's tape). */
function runStock(backend: WasmBackendInternals, name: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (kernel === undefined) throw new Error(`Kernel '${name}' is not registered for wasm`);
  return kernel.kernelFunc({ inputs, backend: backend as unknown as tf.KernelBackend, attrs }) as TensorInfo;
}

/** True if `bias` holds exactly one value per output column, so XNNPACK can add it itself. */
function isColumnBias(bias: TensorInfo, n: number): boolean {
  const shape = bias.shape;
  return bias.dtype === 'float32' && shape.length >= 1 && shape[shape.length - 1] === n && tf.util.sizeFromShape(shape) === n;
}

/** Applies a non-clamp activation (or a clamp that could not be fused) with the stock kernels. */
function applyActivation(backend: WasmBackendInternals, x: TensorInfo, inputs: Inputs, attrs: NamedAttrMap): TensorInfo {
  const activation = String(attrs.activation ?? 'linear');
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return runStock(backend, 'Relu', { x });
    case 'relu6':
      return runStock(backend, 'Relu6', { x });
    case 'elu':
      return runStock(backend, 'Elu', { x });
    case 'sigmoid':
      return runStock(backend, 'Sigmoid', { x });
    case 'leakyrelu':
      return runStock(backend, 'LeakyRelu', { x }, { alpha: (attrs.leakyreluAlpha as number | undefined) ?? 0.2 });
    case 'prelu':
      if (inputs.preluActivationWeights === undefined) throw new Error('_FusedMatMul: prelu needs preluActivationWeights');
      return runStock(backend, 'Prelu', { x, alpha: inputs.preluActivationWeights });
    default:
      throw new Error(`_FusedMatMul: activation '${activation}' is not supported on wasm`);
  }
}

/**
 * Floe's wasm `_FusedMatMul`. The stock kernel adds the bias at the wrong index once an operand
 * is transposed or batched (max error ~1.8 against cpu). Here the product runs on XNNPACK through
 * `wasmGemm`; a one-per-column bias with linear/relu/relu6 is fused into it, and any other
 * bias shape or activation is applied afterwards with the stock Add and activation kernels.
 * Untransposed 2-D products with such a bias and clamp stay on the stock kernel, which is correct
 * there and caches packed weights (see {@link takesStockFastPath}).
 */
export function createFusedMatMulKernel(stock: KernelConfig | undefined): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const inputs = args.inputs as Inputs;
    const attrs = args.attrs as NamedAttrMap;
    const { a, b, bias } = inputs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') {
      if (stock === undefined) throw new Error(`_FusedMatMul on wasm supports float32 only, got ${a.dtype} x ${b.dtype}`);
      return stock.kernelFunc(args);
    }
    const backend = asWasmBackend(args.backend);
    const transposeA = attrs.transposeA === true;
    const transposeB = attrs.transposeB === true;
    const n = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    const activation = String(attrs.activation ?? 'linear');

    const fuseBias = bias === undefined || isColumnBias(bias, n);
    const fuseClamp = fuseBias && CLAMPS.includes(activation);
    // The stock kernel is right (and caches packed weights) when it takes XNNPACK itself.
    if (stock !== undefined && fuseClamp && takesStockFastPath(a, b, transposeA, transposeB)) return stock.kernelFunc(args);
    let out = wasmGemm(backend, {
      a,
      b,
      transposeA,
      transposeB,
      bias: fuseBias ? bias : undefined,
      clamp: fuseClamp ? (activation as GemmClamp) : 'linear',
    });
    try {
      if (!fuseBias && bias !== undefined) out = replace(backend, out, runStock(backend, 'Add', { a: out, b: bias }));
      if (!fuseClamp) out = replace(backend, out, applyActivation(backend, out, inputs, attrs));
    } catch (error) {
      backend.disposeData(out.dataId);
      throw error;
    }
    return out;
  };
  return { kernelName: '_FusedMatMul', backendName: 'wasm', kernelFunc, setupFunc: stock?.setupFunc };
}

/** Disposes `previous` unless `next` is the same buffer; returns `next`. */
function replace(backend: WasmBackendInternals, previous: TensorInfo, next: TensorInfo): TensorInfo {
  if (next.dataId !== previous.dataId) backend.disposeData(previous.dataId);
  return next;
}
