import type * as tf from '@tensorflow/tfjs';
import { collate } from './collate';
import { LmBatch } from './lm-batch';
import { PreferenceExample } from './preference-rows';
import { ShuffledBatches, ShuffledBatchesOptions } from './shuffled-batches';

/**
 * A batch of B preference pairs as 2B rows: rows 0..B−1 are the chosen responses, rows B..2B−1
 * the rejected ones, pair i in rows i and B + i.
 */
export interface PreferenceBatch extends LmBatch {
  /** Pairs in the batch (B): the batch's weight in gradient and eval averages. */
  numPairs: number;
  /** Pairs, reported as the batch's samples. */
  numSamples: number;
  /** The reference model's log-probs of the 2B rows, set by the DPO trainer before the gradient tape (disposed with the batch). */
  referenceLogps?: tf.Tensor1D;
}

/** Options of {@link PairBatchIterator}: `examples` are pairs, `batchSize` pairs per batch (a batch holds twice as many rows). */
export type PairBatchIteratorOptions = ShuffledBatchesOptions<PreferenceExample>;

/**
 * Batches of preference pairs, reproducibly shuffled by (seed, epoch) as {@link BatchIterator}
 * (both are {@link ShuffledBatches}), with a pair's two rows always in the same batch. The caller disposes each batch.
 */
export class PairBatchIterator extends ShuffledBatches<PreferenceExample, PreferenceBatch> {
  constructor(options: PairBatchIteratorOptions) {
    super(options, 'PairBatchIterator');
  }

  protected collateItems(pairs: PreferenceExample[]): PreferenceBatch {
    const { padId, padToMultipleOf } = this.options;
    const batch = collate([...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)], { padId, padToMultipleOf });
    return { ...batch, numPairs: pairs.length, numSamples: pairs.length };
  }
}
