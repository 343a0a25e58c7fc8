import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { HeapViews } from './heap-views';
import { matMulShapes } from './mat-mul-shapes';
import { transposeBlocks } from './heap-loops';
import { heapOffset, type WasmBackendInternals, type WasmFunction } from './wasm-backend-internals';

/**
 * Activations XNNPACK applies inside the GEMM as an output clamp.
 * @internal
 */
export type GemmClamp = 'linear' | 'relu' | 'relu6';

/** Values of tfjs-backend-wasm's `FusableActivation` enum for the clamps. */
const CLAMP_CODES: Record<GemmClamp, number> = { linear: 0, relu: 1, relu6: 2 };

/**
 * Arguments of {@link wasmGemm}; the same semantics as `tf.matMul`.
 * @internal
 */
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

/** Swaps the last two axes of `x` seen as `[batch, rows, cols]`, into a new buffer. */
function swapLastAxes(backend: WasmBackendInternals, x: TensorInfo, batch: number, rows: number, cols: number): TensorInfo {
  const out = backend.makeOutput([batch, cols, rows], x.dtype);
  // Views only after the allocation: a growing heap detaches earlier typed-array views.
  transposeBlocks(backend.typedArrayFromHeap(x) as Float32Array, backend.typedArrayFromHeap(out) as Float32Array, batch, rows, cols);
  return out;
}

/**
 * Rough cost, in ns per element on one core, of the memory-bound work around a GEMM: XNNPACK
 * packs its right operand (`[K, N]`, strided reads) at ~4.5 ns per element, and an explicit
 * transpose ({@link transposeBlocks}) runs at ~1 ns per element.
 */
const PACK_NS = 4.5;
const TRANSPOSE_NS = 1;

/** Cost of the copies `op(a) @ op(b)` needs: transposes of transposed operands and the pack of `op(b)`. */
function copyCost(m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): number {
  const tA = transposeA && m > 1 && k > 1 ? TRANSPOSE_NS * m * k : 0;
  const tB = transposeB && k > 1 && n > 1 ? TRANSPOSE_NS * k * n : 0;
  return tA + tB + PACK_NS * k * n;
}

/**
 * For every flat index of the broadcast batch shape `outShape`, the flat batch index of an
 * operand whose batch shape is `opShape` (right-aligned, size-1 axes repeat), as tf.matMul does.
  * @internal
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
 * Without bias or clamp, the product may instead be computed transposed, `outᵀ = op(b)ᵀ·op(a)ᵀ`,
 * and transposed back, when that moves fewer bytes: XNNPACK re-packs its right operand on every
 * call, which for a weight gradient `xᵀ·dy` (K = tokens) costs as much as the arithmetic, so the
 * narrower of the two operands should be the packed one.
 *
 * Returns a new TensorInfo owned by the caller (the kernel's output).
  * @internal
 */
export function wasmGemm(backend: WasmBackendInternals, args: WasmGemmArgs): TensorInfo {
  const { a, b, transposeA, transposeB } = args;
  const { m, k, n, outBatchShape, batchOut } = matMulShapes(a, b, transposeA, transposeB);

  const out = backend.makeOutput([...outBatchShape, m, n], 'float32');
  if (batchOut * m * n === 0) return out;
  if (k === 0) {
    fillEmptyProduct(backend, out, n, args);
    return out;
  }
  const plain = args.bias === undefined && (args.clamp ?? 'linear') === 'linear';
  const swap = plain && m > 1 && n > 1 && copyCost(n, k, m, !transposeB, !transposeA) + TRANSPOSE_NS * m * n < copyCost(m, k, n, transposeA, transposeB);
  try {
    if (!swap) {
      gemmInto(backend, out, { ...args, m, k, n });
    } else {
      const swapped = backend.makeOutput([...outBatchShape, n, m], 'float32');
      try {
        gemmInto(backend, swapped, { a: b, b: a, transposeA: !transposeB, transposeB: !transposeA, m: n, k, n: m });
        transposeBlocks(backend.typedArrayFromHeap(swapped) as Float32Array, backend.typedArrayFromHeap(out) as Float32Array, batchOut, n, m);
      } finally {
        backend.disposeData(swapped.dataId);
      }
    }
  } catch (error) {
    backend.disposeData(out.dataId);
    throw error;
  }
  return out;
}

/** Writes `op(a) @ op(b) (+ bias, clamp)` into `out` (already allocated, `[...batch, m, n]`). */
function gemmInto(backend: WasmBackendInternals, out: TensorInfo, args: WasmGemmArgs & { m: number; k: number; n: number }): void {
  const { a, b, transposeA, transposeB, m, k, n } = args;
  const aBatchShape = a.shape.slice(0, -2);
  const bBatchShape = b.shape.slice(0, -2);
  const outBatchShape = out.shape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(aBatchShape);
  const batchB = tf.util.sizeFromShape(bBatchShape);
  const batchOut = tf.util.sizeFromShape(outBatchShape);

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
  } finally {
    views.release();
    for (const t of temps) backend.disposeData(t.dataId);
  }
}
