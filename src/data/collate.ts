import * as tf from '@tensorflow/tfjs';
import { FloeError } from '../errors';
import { LmBatch } from './lm-batch';
import { LmExample } from './lm-example';

/** Options of {@link collate}. */
export interface CollateOptions {
  /** Id filling padded positions. */
  padId: number;
  /** Round T up to a multiple of this. Default 1. */
  padToMultipleOf?: number;
}

/**
 * Pads examples to a common length T (the longest, rounded up to `padToMultipleOf`) and builds
 * the batch tensors. Padding gets pad ids, loss 0, position 0 and segment 0. If any row carries
 * positions/segment ids, all rows get them (an unpacked row is one segment with positions 0..n-1).
 * The caller owns the tensors: release them with `disposeBatch`.
 */
export function collate(examples: readonly LmExample[], options: CollateOptions): LmBatch {
  if (examples.length === 0) throw new FloeError('collate: cannot build a batch from zero examples.');
  const multiple = options.padToMultipleOf ?? 1;
  const longest = Math.max(...examples.map((e) => e.inputIds.length));
  const T = Math.max(multiple, Math.ceil(longest / multiple) * multiple);
  const B = examples.length;
  const packed = examples.some((e) => e.positions !== undefined || e.segmentIds !== undefined);
  const inputIds = new Int32Array(B * T).fill(options.padId);
  const labels = new Int32Array(B * T).fill(options.padId);
  const lossMask = new Float32Array(B * T);
  const positions = packed ? new Int32Array(B * T) : undefined;
  const segmentIds = packed ? new Int32Array(B * T) : undefined;
  let numTokens = 0;
  let numLossTokens = 0;
  examples.forEach((e, b) => {
    const n = e.inputIds.length;
    if (e.labels.length !== n || e.lossMask.length !== n) {
      throw new FloeError(`collate: example ${b} has ${n} input ids but ${e.labels.length} labels and ${e.lossMask.length} mask values (expected equal lengths).`);
    }
    const row = b * T;
    for (let t = 0; t < n; t++) {
      inputIds[row + t] = e.inputIds[t];
      labels[row + t] = e.labels[t];
      lossMask[row + t] = e.lossMask[t];
      numLossTokens += e.lossMask[t];
      if (positions !== undefined && segmentIds !== undefined) {
        positions[row + t] = e.positions?.[t] ?? t;
        segmentIds[row + t] = e.segmentIds?.[t] ?? 1;
      }
    }
    numTokens += e.numTokens ?? n;
  });
  const batch: LmBatch = {
    inputIds: tf.tensor2d(inputIds, [B, T], 'int32'),
    labels: tf.tensor2d(labels, [B, T], 'int32'),
    lossMask: tf.tensor2d(lossMask, [B, T], 'float32'),
    numTokens,
    numLossTokens,
  };
  if (positions !== undefined && segmentIds !== undefined) {
    batch.positions = tf.tensor2d(positions, [B, T], 'int32');
    batch.segmentIds = tf.tensor2d(segmentIds, [B, T], 'int32');
  }
  return batch;
}
