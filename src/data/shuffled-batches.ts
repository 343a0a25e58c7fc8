import { FloeError } from '../errors';
import { DataShard } from './data-loader';
import { epochOrder } from './epoch-order';

/** Options of {@link ShuffledBatches}: the items of one epoch and how to batch them. */
export interface ShuffledBatchesOptions<E> {
  /** The items of one epoch (rows, or preference pairs). */
  examples: readonly E[];
  /** Items per batch. */
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
 * Batches over in-memory items, reproducibly: the order of epoch e depends only on (seed, e), so
 * a resumed run asks for `batches(e, start)` and gets exactly the batches it had not seen.
 * Subclasses say how a batch's items become tensors ({@link collateItems}); each yielded batch
 * belongs to the caller. Shaped like the trainer's `DataLoader` (`length`, `numExamples`, `batches`).
 */
export abstract class ShuffledBatches<E, B> {
  /** `batches` takes a {@link DataShard} and collates only that rank's batches. */
  readonly shardable = true;
  /** The options with their defaults. */
  protected readonly options: Required<ShuffledBatchesOptions<E>>;

  /** @param name The subclass's name, for the error on a bad `batchSize`. */
  constructor(options: ShuffledBatchesOptions<E>, name: string) {
    this.options = { shuffle: true, dropLast: false, padToMultipleOf: 1, ...options };
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new FloeError(`${name}: batchSize must be a positive integer, got ${options.batchSize}.`);
    }
  }

  /** Items in one epoch. */
  get numExamples(): number {
    return this.options.examples.length;
  }

  /** Batches per epoch, after `dropLast`. */
  get length(): number {
    const { examples, batchSize, dropLast } = this.options;
    return dropLast ? Math.floor(examples.length / batchSize) : Math.ceil(examples.length / batchSize);
  }

  /** Item indices making up batch `batch` of epoch `epoch`. */
  batchIndices(epoch: number, batch: number): number[] {
    return this.order(epoch).slice(batch * this.options.batchSize, (batch + 1) * this.options.batchSize);
  }

  /** Yields the batches of `epoch`, from batch index `start` on (with a `shard`, only that rank's). */
  *batches(epoch: number, start = 0, shard?: DataShard): Generator<B> {
    const { examples, batchSize } = this.options;
    const order = this.order(epoch);
    const stride = shard?.size ?? 1;
    for (let b = start + (shard?.rank ?? 0); b < this.length; b += stride) {
      yield this.collateItems(order.slice(b * batchSize, (b + 1) * batchSize).map((i) => examples[i]));
    }
  }

  /** One batch's tensors from its items, in order. */
  protected abstract collateItems(items: E[]): B;

  private order(epoch: number): number[] {
    const n = this.options.examples.length;
    return this.options.shuffle ? epochOrder(this.options.seed, epoch, n) : Array.from({ length: n }, (_, i) => i);
  }
}
