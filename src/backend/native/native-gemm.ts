import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { matMulShapes } from '../kernels/mat-mul-shapes';
import { broadcastBatchIndices } from '../kernels/wasm-gemm';
import { heapOffset, type WasmBackendInternals } from '../kernels/wasm-backend-internals';
import { NATIVE_ACTIVATIONS, type NativeKernelsAddon } from './native-kernels-addon';

/** Arguments of {@link nativeGemm}; the same semantics as `tf.matMul`. */
export interface NativeGemmArgs {
  a: TensorInfo;
  b: TensorInfo;
  transposeA: boolean;
  transposeB: boolean;
  /** float32 bias holding exactly N values, added per output column. */
  bias?: TensorInfo;
  /** Applied after the bias. Default `linear`. */
  activation?: keyof typeof NATIVE_ACTIVATIONS;
}

const BYTES_PER_FLOAT = 4;

/** True if `a` and `b` have the same shape. */
function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * float32 `tf.matMul` (any rank, transposes, broadcast batch dims, optional column bias and
 * relu/relu6) computed by the native packed GEMM in place on the wasm heap: no transposes, no
 * copies. The heap view is taken after the output is allocated (allocation may grow the heap and
 * detach older views); the addon re-checks every range against it.
 *
 * Returns a new TensorInfo owned by the caller (the kernel's output).
 */
export function nativeGemm(backend: WasmBackendInternals, addon: NativeKernelsAddon, args: NativeGemmArgs): TensorInfo {
  const { a, b, transposeA, transposeB } = args;
  const { m, k, n, aBatchShape, bBatchShape, outBatchShape, batchA, batchB, batchOut } = matMulShapes(a, b, transposeA, transposeB);

  const out = backend.makeOutput([...outBatchShape, m, n], 'float32');
  if (batchOut * m * n === 0) return out;
  try {
    const aOff = heapOffset(backend, a);
    const bOff = heapOffset(backend, b);
    const outOff = heapOffset(backend, out);
    const biasOff = args.bias === undefined ? -1 : heapOffset(backend, args.bias);
    const activation = NATIVE_ACTIVATIONS[args.activation ?? 'linear'];
    const heap = backend.wasm.HEAPU8; // re-read: the heap may have grown since the last call
    const aStride = m * k;
    const bStride = k * n;
    if (batchB === 1 && batchA === batchOut && !transposeA) {
      // A dense layer: all of a's rows against one weight matrix, one GEMM.
      addon.gemm(heap, aOff, bOff, outOff, biasOff, 1, batchOut * m, n, k, false, transposeB, 0, 0, activation);
    } else if ((batchA === batchOut || batchA === 1) && (batchB === batchOut || batchB === 1) && (batchA === 1 || sameShape(aBatchShape, outBatchShape)) && (batchB === 1 || sameShape(bBatchShape, outBatchShape))) {
      addon.gemm(heap, aOff, bOff, outOff, biasOff, batchOut, m, n, k, transposeA, transposeB, batchA === 1 ? 0 : aStride, batchB === 1 ? 0 : bStride, activation);
    } else {
      // General broadcast of batch dims: one call per output batch entry.
      const aIndex = broadcastBatchIndices(outBatchShape, aBatchShape);
      const bIndex = broadcastBatchIndices(outBatchShape, bBatchShape);
      for (let o = 0; o < batchOut; o++) {
        addon.gemm(
          heap,
          aOff + aIndex[o] * aStride * BYTES_PER_FLOAT,
          bOff + bIndex[o] * bStride * BYTES_PER_FLOAT,
          outOff + o * m * n * BYTES_PER_FLOAT,
          biasOff,
          1,
          m,
          n,
          k,
          transposeA,
          transposeB,
          0,
          0,
          activation,
        );
      }
    }
  } catch (error) {
    backend.disposeData(out.dataId);
    throw error;
  }
  return out;
}
