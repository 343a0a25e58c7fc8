import { collate } from './collate';
import { LmBatch } from './lm-batch';
import { LmExample } from './lm-example';
import { ShuffledBatches, ShuffledBatchesOptions } from './shuffled-batches';

/** Options of {@link BatchIterator}: `examples` are rows, `batchSize` rows per batch. */
export type BatchIteratorOptions = ShuffledBatchesOptions<LmExample>;

/**
 * Batches over in-memory examples, reproducibly shuffled by (seed, epoch) (see
 * {@link ShuffledBatches}). Each yielded batch belongs to the caller, who must `disposeBatch` it.
 */
export class BatchIterator extends ShuffledBatches<LmExample, LmBatch> {
  constructor(options: BatchIteratorOptions) {
    super(options, 'BatchIterator');
  }

  protected collateItems(rows: LmExample[]): LmBatch {
    return collate(rows, { padId: this.options.padId, padToMultipleOf: this.options.padToMultipleOf });
  }
}
