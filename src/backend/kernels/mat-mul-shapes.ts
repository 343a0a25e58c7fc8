import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';

/** Sizes of a batched matmul `out[..., m, n] = a[..., m, k] · b[..., k, n]` (after transposes). */
export interface MatMulShapes {
  m: number;
  k: number;
  n: number;
  /** Batch dims of each operand and of the broadcast output. */
  aBatchShape: number[];
  bBatchShape: number[];
  outBatchShape: number[];
  /** Element counts of those batch shapes. */
  batchA: number;
  batchB: number;
  batchOut: number;
}

/**
 * Resolves and checks the shapes of a matmul with optional transposes and broadcast batch dims,
 * with tfjs's own error wording. Shared by the JS and native GEMM kernels.
 * @internal
 */
export function matMulShapes(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): MatMulShapes {
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
  return {
    m,
    k,
    n,
    aBatchShape,
    bBatchShape,
    outBatchShape,
    batchA: tf.util.sizeFromShape(aBatchShape),
    batchB: tf.util.sizeFromShape(bBatchShape),
    batchOut: tf.util.sizeFromShape(outBatchShape),
  };
}
