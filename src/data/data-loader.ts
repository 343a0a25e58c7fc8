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
   * The batches of epoch `epoch` (its shuffled order is fixed by seed and epoch), starting at
   * batch `start` so a resumed run continues where it stopped.
   */
  batches(epoch: number, start?: number): Iterable<B> | AsyncIterable<B>;
}

/** What a data factory builds. */
export interface DataLoaders<B = unknown> {
  train: DataLoader<B>;
  eval?: DataLoader<B>;
}
