import type * as tf from '@tensorflow/tfjs';
import { FloeError } from '../errors';
import { collate } from './collate';
import { DataShard } from './data-loader';
import { epochOrder } from './epoch-order';
import { LmBatch } from './lm-batch';
import { PreferenceExample } from './preference-rows';

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

/** Options of {@link PairBatchIterator}. */
export interface PairBatchIteratorOptions {
  /** The pairs of one epoch. */
  examples: readonly PreferenceExample[];
  /** Pairs per batch (a batch holds twice as many rows). */
  batchSize: number;
  /** Seed of the per-epoch shuffle. */
  seed: number;
  /** Shuffle pairs each epoch. Default true. */
  shuffle?: boolean;
  /** Skip a last batch smaller than `batchSize`. Default false. */
  dropLast?: boolean;
  /** Id filling padded positions. */
  padId: number;
  /** Round each batch's T up to a multiple of this. Default 1. */
  padToMultipleOf?: number;
}

/**
 * Batches of preference pairs, reproducibly shuffled by (seed, epoch) as {@link BatchIterator}
 * does, with a pair's two rows always in the same batch. The caller disposes each batch.
 */
export class PairBatchIterator {
  /** `batches` honours its shard argument. */
  readonly shardable = true;
  private readonly options: Required<PairBatchIteratorOptions>;

  constructor(options: PairBatchIteratorOptions) {
    this.options = { shuffle: true, dropLast: false, padToMultipleOf: 1, ...options };
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new FloeError(`PairBatchIterator: batchSize must be a positive integer, got ${options.batchSize}.`);
  }

  /** Pairs in one epoch. */
  get numExamples(): number {
    return this.options.examples.length;
  }

  /** Batches per epoch, after `dropLast`. */
  get length(): number {
    const { examples, batchSize, dropLast } = this.options;
    return dropLast ? Math.floor(examples.length / batchSize) : Math.ceil(examples.length / batchSize);
  }

  /** Yields the batches of `epoch` from batch `start` on (with a `shard`, only that rank's). */
  *batches(epoch: number, start = 0, shard?: DataShard): Generator<PreferenceBatch> {
    const { examples, batchSize, padId, padToMultipleOf, shuffle } = this.options;
    const order = shuffle ? epochOrder(this.options.seed, epoch, examples.length) : examples.map((_, i) => i);
    for (let b = start + (shard?.rank ?? 0); b < this.length; b += shard?.size ?? 1) {
      const pairs = order.slice(b * batchSize, (b + 1) * batchSize).map((i) => examples[i]);
      const batch = collate([...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)], { padId, padToMultipleOf });
      yield { ...batch, numPairs: pairs.length, numSamples: pairs.length };
    }
  }
}
