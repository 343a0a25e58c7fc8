import * as tf from '@tensorflow/tfjs';

/** A batch of tabular rows, raw (not normalized); the training loop normalizes. */
export interface TabularBatch {
  /** Feature values, float32 `[N, F]`. */
  features: tf.Tensor2D;
  /** Targets: float32 `[N, K]` values, or int32 `[N]` class ids. */
  targets: tf.Tensor2D | tf.Tensor1D;
  /** Rows in the batch. */
  numSamples: number;
}
