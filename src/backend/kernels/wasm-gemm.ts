import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { HeapViews } from './heap-views';
import { heapOffset, type WasmBackendInternals, type WasmFunction } from './wasm-backend-internals';

/** Activations XNNPACK applies inside the GEMM as an output clamp. */
export type GemmClamp = 'linear' | 'relu' | 'relu6';

/** Values of tfjs-backend-wasm's `FusableActivation` enum for the clamps. */
const CLAMP_CODES: Record<GemmClamp, number> = { linear: 0, relu: 1, relu6: 2 };

/** Arguments of {@link wasmGemm}; the same semantics as `tf.matMul`. */
export interface WasmGemmArgs {
  a: TensorInfo;
  b: TensorInfo;
  transposeA: boolean;
  transposeB: boolean;
  /** float32 bias holding exactly N values (shape `[N]`, `[1, N]`, ...), added per output column. */
  bias?: TensorInfo;
  /** Clamp applied after the bias. Default `linear`. */
  clamp?: GemmClamp;
}

const BYTES_PER_FLOAT = 4;
const fusedMatMulFns = new WeakMap<object, WasmFunction>();

/**
 * The raw `_FusedMatMul` export of the wasm module. Its XNNPACK path runs only for 2-D,
 * untransposed operands with batch 1, which is the only way {@link wasmGemm} calls it.
 */
function rawFusedMatMul(backend: WasmBackendInternals): WasmFunction {
  let fn = fusedMatMulFns.get(backend);
  if (fn === undefined) {
    const n = 'number';
    fn = backend.wasm.cwrap('_FusedMatMul', null, [n, 'array', n, n, 'array', n, n, n, n, n, n, n, n]);
    fusedMatMulFns.set(backend, fn);
  }
  return fn;
}

function shapeBytes(shape: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

/** Swaps the last two axes of `x` seen as `[batch, rows, cols]`, with the stock wasm Transpose. */
function swapLastAxes(backend: WasmBackendInternals, x: TensorInfo, batch: number, rows: number, cols: number): TensorInfo {
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (transpose === undefined) throw new Error("Kernel 'Transpose' is not registered for wasm");
  const view: TensorInfo = { dataId: x.dataId, shape: [batch, rows, cols], dtype: x.dtype };
  return transpose.kernelFunc({ inputs: { x: view }, backend: backend as unknown as tf.KernelBackend, attrs: { perm: [0, 2, 1] } }) as TensorInfo;
}

/**
 * For every flat index of the broadcast batch shape `outShape`, the flat batch index of an
 * operand whose batch shape is `opShape` (right-aligned, size-1 axes repeat), as tf.matMul does.
 */
export function broadcastBatchIndices(outShape: number[], opShape: number[]): Int32Array {
  const count = tf.util.sizeFromShape(outShape);
  const indices = new Int32Array(count);
  const lead = outShape.length - opShape.length;
  const strides = new Array<number>(opShape.length);
  let stride = 1;
  for (let d = opShape.length - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= opShape[d];
  }
  for (let o = 0; o < count; o++) {
    let rest = o;
    let index = 0;
    for (let d = outShape.length - 1; d >= 0; d--) {
      const coord = rest % outShape[d];
      rest = Math.floor(rest / outShape[d]);
      const od = d - lead;
      if (od >= 0 && opShape[od] !== 1) index += coord * strides[od];
    }
    indices[o] = index;
  }
  return indices;
}

/** Output for K = 0: every entry is the (clamped) bias, or 0. */
function fillEmptyProduct(backend: WasmBackendInternals, out: TensorInfo, n: number, args: WasmGemmArgs): void {
  const values = backend.typedArrayFromHeap(out);
  const bias = args.bias === undefined ? undefined : backend.typedArrayFromHeap(args.bias);
  const clamp = args.clamp ?? 'linear';
  for (let i = 0; i < values.length; i++) {
    let v = bias === undefined ? 0 : bias[i % n];
    if (clamp !== 'linear') v = Math.max(v, 0);
    if (clamp === 'relu6') v = Math.min(v, 6);
    values[i] = v;
  }
}

/**
 * float32 `tf.matMul` (any rank, transposes, broadcast batch dims) on the wasm backend that always
 * takes XNNPACK's fast path: transposed operands are transposed explicitly, then every batch entry
 * runs as a 2-D untransposed product on zero-copy heap views. When `b` has no batch (a dense
 * layer), all of `a`'s rows go through one call. An optional bias and relu/relu6 clamp are
 * applied inside XNNPACK.
 *
 * Returns a new TensorInfo owned by the caller (the kernel's output).
 */
export function wasmGemm(backend: WasmBackendInternals, args: WasmGemmArgs): TensorInfo {
  const { a, b, transposeA, transposeB } = args;
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  if (aRank < 2 || bRank < 2) throw new Error(`matMul needs rank >= 2 operands, got ${aRank} and ${bRank}`);
  const m = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
  const k = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
  const kB = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
  const n = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
  tf.util.assert(
    k === kB,
    () =>
      `Error in matMul: inner shapes (${k}) and (${kB}) of Tensors with shapes ${a.shape} and ${b.shape} ` +
      `and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
  );
  const aBatchShape = a.shape.slice(0, -2);
  const bBatchShape = b.shape.slice(0, -2);
  const outBatchShape = tf.broadcast_util.assertAndGetBroadcastShape(aBatchShape, bBatchShape);
  const batchA = tf.util.sizeFromShape(aBatchShape);
  const batchB = tf.util.sizeFromShape(bBatchShape);
  const batchOut = tf.util.sizeFromShape(outBatchShape);

  const out = backend.makeOutput([...outBatchShape, m, n], 'float32');
  if (batchOut * m * n === 0) return out;
  if (k === 0) {
    fillEmptyProduct(backend, out, n, args);
    return out;
  }

  const temps: TensorInfo[] = [];
  const views = new HeapViews(backend);
  try {
    // With one of the two dims equal to 1, the transposed layout is the same bytes: no copy.
    let aOp = a;
    if (transposeA && m > 1 && k > 1) temps.push((aOp = swapLastAxes(backend, a, batchA, k, m)));
    let bOp = b;
    if (transposeB && k > 1 && n > 1) temps.push((bOp = swapLastAxes(backend, b, batchB, n, k)));

    const aBase = heapOffset(backend, aOp);
    const bBase = heapOffset(backend, bOp);
    const outBase = heapOffset(backend, out);
    const biasBase = args.bias === undefined ? -1 : heapOffset(backend, args.bias);
    const clampCode = CLAMP_CODES[args.clamp ?? 'linear'];
    const fn = rawFusedMatMul(backend);
    const bShape = shapeBytes([1, k, n]);

    // Fresh view ids every call, never the tensors' own ids: XNNPACK caches packed weights by the
    // id of b, and a reshape keeps the id while changing the shape, so a cache hit could be wrong.
    const run = (aOffset: number, rows: number, bOffset: number, outOffset: number): void => {
      const aId = views.view(aOffset, rows * k);
      const bId = views.view(bOffset, k * n);
      const outId = views.view(outOffset, rows * n);
      const biasId = biasBase < 0 ? 0 : views.view(biasBase, n);
      fn(aId, shapeBytes([1, rows, k]), 3, bId, bShape, 3, 0, 0, clampCode, biasId, 0, 0, outId);
      views.release();
    };

    if (batchB === 1 && batchA === batchOut) {
      run(aBase, batchA * m, bBase, outBase);
    } else {
      const aIndex = broadcastBatchIndices(outBatchShape, aBatchShape);
      const bIndex = broadcastBatchIndices(outBatchShape, bBatchShape);
      const aStride = m * k * BYTES_PER_FLOAT;
      const bStride = k * n * BYTES_PER_FLOAT;
      const outStride = m * n * BYTES_PER_FLOAT;
      for (let o = 0; o < batchOut; o++) {
        run(aBase + aIndex[o] * aStride, m, bBase + bIndex[o] * bStride, outBase + o * outStride);
      }
    }
  } catch (error) {
    backend.disposeData(out.dataId);
    throw error;
  } finally {
    views.release();
    for (const t of temps) backend.disposeData(t.dataId);
  }
  return out;
}
