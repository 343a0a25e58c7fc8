import * as tf from '@tensorflow/tfjs';
import type { DataId, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * The shape each right operand last had when it went through the stock XNNPACK path, by dataId.
 * The stock kernel caches its packed-weights operator under the operand's id without the shape,
 * and a reshape keeps the id, so a second use of the same buffer with another `[K, N]` would hit a
 * stale operator; such a call takes Floe's path instead.
 */
const stockWeightShapes = new WeakMap<DataId, string>();

/**
 * True when the stock wasm kernel would itself run `a @ b` on XNNPACK, and can safely: float32,
 * no transposes, one batch entry on each side, and `b` never used by the stock path with another
 * shape. The stock path caches the packed `b` until `b` is disposed, so repeated products with
 * the same weights (inference, generation) skip the re-pack that Floe's path pays every call
 * (`[1, K] @ [K, N]`: ~0.2 ms instead of ~5 ms for K·N = 1M).
 */
export function takesStockFastPath(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): boolean {
  if (transposeA || transposeB || a.dtype !== 'float32' || b.dtype !== 'float32') return false;
  if (a.shape.length < 2 || b.shape.length < 2) return false;
  if (tf.util.sizeFromShape(a.shape.slice(0, -2)) !== 1 || tf.util.sizeFromShape(b.shape.slice(0, -2)) !== 1) return false;
  const k = b.shape[b.shape.length - 2];
  const n = b.shape[b.shape.length - 1];
  if (a.shape[a.shape.length - 1] !== k || k === 0 || n === 0 || a.shape[a.shape.length - 2] === 0) return false;
  const key = `${k}x${n}`;
  const seen = stockWeightShapes.get(b.dataId);
  if (seen !== undefined && seen !== key) return false;
  stockWeightShapes.set(b.dataId, key);
  return true;
}
