import * as tf from '@tensorflow/tfjs';

/** A batch of B rows of T tokens, ready for a language-model loss. */
export interface LmBatch {
  /** Input token ids, int32 [B, T]. */
  inputIds: tf.Tensor2D;
  /** Next-token targets, int32 [B, T]; always valid ids (pad id where unused). */
  labels: tf.Tensor2D;
  /** 1 where a label is trained on, else 0; float32 [B, T]. */
  lossMask: tf.Tensor2D;
  /** Per-document positions, int32 [B, T]; present when any row is packed. */
  positions?: tf.Tensor2D;
  /** Document ids within a row (0 = padding), int32 [B, T]; present when any row is packed. */
  segmentIds?: tf.Tensor2D;
  /** Real (non-padding) tokens in the batch. */
  numTokens: number;
  /** Tokens the loss is computed on (sum of lossMask): the batch's weight in gradient averaging. */
  numLossTokens: number;
}

/** Frees every tensor of a batch. */
export function disposeBatch(batch: LmBatch): void {
  tf.dispose([batch.inputIds, batch.labels, batch.lossMask]);
  if (batch.positions !== undefined) batch.positions.dispose();
  if (batch.segmentIds !== undefined) batch.segmentIds.dispose();
}
