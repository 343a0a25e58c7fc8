import * as tf from '@tensorflow/tfjs';
import { DataLoader, DataShard, shardBatchCount } from '../data/data-loader';

/**
 * This rank's batches of `epoch` from `start` on. Loaders marked `shardable` build only this
 * rank's batches; others are iterated in full and the other ranks' batches disposed unread.
 */
export function shardedBatches<B>(loader: DataLoader<B>, epoch: number, start: number, shard?: DataShard): Iterable<B> | AsyncIterable<B> {
  if (shard === undefined || shard.size === 1) return loader.batches(epoch, start);
  if (loader.shardable === true) return loader.batches(epoch, start, shard);
  return skipOtherRanks(loader.batches(epoch, start), shard);
}

async function* skipOtherRanks<B>(batches: Iterable<B> | AsyncIterable<B>, shard: DataShard): AsyncGenerator<B> {
  let i = 0;
  for await (const batch of batches) {
    if (i++ % shard.size === shard.rank) yield batch;
    else tf.dispose(batch as unknown as tf.TensorContainer);
  }
}

/**
 * The eval split as one rank sees it: its shard of the first `limit` batches (all when unset),
 * counting the weight of what it yielded in the last pass (for reducing metrics across ranks).
 */
export class ShardedEvalLoader<B> implements DataLoader<B> {
  /** Sum of `weigh(batch)` over the batches of the last (or current) pass. */
  lastWeight = 0;

  constructor(
    /** The full eval loader. */
    readonly inner: DataLoader<B>,
    /** This rank's share. */
    readonly shard: DataShard,
    private readonly weigh: (batch: B) => number,
    private readonly limit?: number,
  ) {}

  get length(): number {
    return shardBatchCount(this.limit === undefined ? this.inner.length : Math.min(this.limit, this.inner.length), 0, this.shard);
  }

  get numExamples(): number {
    return this.inner.numExamples;
  }

  async *batches(epoch: number, start = 0): AsyncGenerator<B> {
    this.lastWeight = 0;
    let k = 0;
    for await (const batch of shardedBatches(this.inner, epoch, start, this.shard)) {
      const globalIndex = start + this.shard.rank + k++ * this.shard.size;
      if (this.limit !== undefined && globalIndex >= this.limit) {
        tf.dispose(batch as unknown as tf.TensorContainer);
        break;
      }
      this.lastWeight += this.weigh(batch);
      yield batch;
    }
  }
}
