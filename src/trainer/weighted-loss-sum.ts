import * as tf from '@tensorflow/tfjs';

/** Options of {@link weightedLossSum}. */
export interface WeightedLossSumOptions<B> {
  /** The batches to score (each is disposed after use). */
  batches: Iterable<B> | AsyncIterable<B>;
  /** Loss of one batch (`index` counts from 0, for messages). */
  loss: (batch: B, index: number) => tf.Scalar;
  /** Weight of one batch (its loss tokens). */
  weight: (batch: B) => number;
  /** Stop after this many batches. */
  maxBatches?: number;
}

/** What {@link weightedLossSum} returns. */
export interface WeightedLossTotals {
  /** Σ weight · loss over the batches. */
  sum: number;
  /** Σ weight over the batches. */
  weight: number;
}

/**
 * Σ weight·loss and Σ weight over batches, for token-weighted means. Losses stay tensors until
 * the end and are read in one batch.
 */
export async function weightedLossSum<B>(options: WeightedLossSumOptions<B>): Promise<WeightedLossTotals> {
  const losses: tf.Scalar[] = [];
  const weights: number[] = [];
  try {
    for await (const batch of options.batches) {
      try {
        losses.push(tf.tidy(() => options.loss(batch, losses.length)));
        weights.push(options.weight(batch));
      } finally {
        tf.dispose(batch as unknown as tf.TensorContainer);
      }
      if (options.maxBatches !== undefined && losses.length >= options.maxBatches) break;
    }
    const values = await Promise.all(losses.map((l) => l.data()));
    return { sum: values.reduce((acc, v, i) => acc + v[0] * weights[i], 0), weight: weights.reduce((a, b) => a + b, 0) };
  } finally {
    tf.dispose(losses);
  }
}
