import type { EvalDataSummary } from './eval-data';

/**
 * The part of an epoch one data-parallel rank reads: of the batches from `start` on, the i-th
 * (counting from 0) goes to rank `i % size`. Consecutive runs of `size` batches are thus one
 * batch per rank, so each optimizer step covers a contiguous range of the epoch's order.
 */
export interface DataShard {
  /** This rank, from 0. */
  rank: number;
  /** Number of ranks. */
  size: number;
}

/** How many of the batches `start..total-1` fall to `shard` (all of them without a shard). */
export function shardBatchCount(total: number, start: number, shard?: DataShard): number {
  const left = Math.max(0, total - start);
  return shard === undefined ? left : Math.max(0, Math.ceil((left - shard.rank) / shard.size));
}

/**
 * Batches of one split. Batches are objects of tensors; whoever iterates owns each batch and
 * disposes it (`tf.dispose(batch)`) after use.
 */
export interface DataLoader<B = unknown> {
  /** Number of batches in one epoch. */
  readonly length: number;
  /** Number of examples in the split. */
  readonly numExamples: number;
  /**
   * True when `batches` honours its `shard` argument without building the other ranks' batches.
   * Loaders without it still work data-parallel: the trainer builds and drops the others' batches.
   */
  readonly shardable?: boolean;
  /**
   * The batches of epoch `epoch` (its shuffled order is fixed by seed and epoch), starting at
   * batch `start` so a resumed run continues where it stopped; with a `shard`, only that rank's.
   */
  batches(epoch: number, start?: number, shard?: DataShard): Iterable<B> | AsyncIterable<B>;
}

/** What a data factory builds. */
export interface DataLoaders<B = unknown> {
  /** Batches of the training split. */
  train: DataLoader<B>;
  /** Batches of the eval split, if there is one. */
  eval?: DataLoader<B>;
  /** What the eval loader holds: its records and tokens, and the files when evaluating whole files (`RunContext.evalData`, which a factory must report here). */
  evalSummary?: EvalDataSummary;
}
