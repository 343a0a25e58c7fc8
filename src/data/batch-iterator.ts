import { FloeError } from '../errors';
import { collate } from './collate';
import { DataShard } from './data-loader';
import { epochOrder } from './epoch-order';
import { LmBatch } from './lm-batch';
import { LmExample } from './lm-example';

/** Options of {@link BatchIterator}. */
export interface BatchIteratorOptions {
  /** The examples of one epoch. */
  examples: readonly LmExample[];
  /** Rows per batch. */
  batchSize: number;
  /** Seed of the per-epoch shuffle. */
  seed: number;
  /** Shuffle each epoch (order from `epochOrder(seed, epoch, n)`). Default true. */
  shuffle?: boolean;
  /** Skip the last batch of an epoch when it is smaller than `batchSize`. Default false. */
  dropLast?: boolean;
  /** Id filling padded positions. */
  padId: number;
  /** Round each batch's T up to a multiple of this. Default 1. */
  padToMultipleOf?: number;
}

/**
 * Batches over in-memory examples, reproducibly: the order of epoch e depends only on
 * (seed, e), so a resumed run asks for `batches(e, start)` and gets exactly the batches it had not
 * seen. Each yielded batch belongs to the caller, who must `disposeBatch` it. Shaped like the
 * trainer's `DataLoader` (`length`, `numExamples`, `batches`).
 */
export class BatchIterator {
  /** `batches` takes a {@link DataShard} and collates only that rank's batches. */
  readonly shardable = true;
  private readonly options: Required<BatchIteratorOptions>;

  constructor(options: BatchIteratorOptions) {
    this.options = { shuffle: true, dropLast: false, padToMultipleOf: 1, ...options };
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new FloeError(`BatchIterator: batchSize must be a positive integer, got ${options.batchSize}.`);
    }
  }

  /** Examples in one epoch. */
  get numExamples(): number {
    return this.options.examples.length;
  }

  /** Batches per epoch, after `dropLast`. */
  get length(): number {
    const { examples, batchSize, dropLast } = this.options;
    return dropLast ? Math.floor(examples.length / batchSize) : Math.ceil(examples.length / batchSize);
  }

  /** Example indices making up batch `batch` of epoch `epoch`. */
  batchIndices(epoch: number, batch: number): number[] {
    return this.order(epoch).slice(batch * this.options.batchSize, (batch + 1) * this.options.batchSize);
  }

  /** Yields the batches of `epoch`, from batch index `start` on (with a `shard`, only that rank's). */
  *batches(epoch: number, start = 0, shard?: DataShard): Generator<LmBatch> {
    const { examples, batchSize, padId, padToMultipleOf } = this.options;
    const order = this.order(epoch);
    const stride = shard?.size ?? 1;
    for (let b = start + (shard?.rank ?? 0); b < this.length; b += stride) {
      const rows = order.slice(b * batchSize, (b + 1) * batchSize).map((i) => examples[i]);
      yield collate(rows, { padId, padToMultipleOf });
    }
  }

  private order(epoch: number): number[] {
    const n = this.options.examples.length;
    return this.options.shuffle ? epochOrder(this.options.seed, epoch, n) : Array.from({ length: n }, (_, i) => i);
  }
}
