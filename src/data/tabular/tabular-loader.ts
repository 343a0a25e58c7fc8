import * as tf from '@tensorflow/tfjs';
import { FloeError } from '../../errors';
import { DataLoader } from '../data-loader';
import { epochOrder } from '../epoch-order';
import { TabularBatch } from './tabular-batch';
import { TabularRecord, TargetKind } from './tabular-record';

/** Options of {@link TabularLoader}. */
export interface TabularLoaderOptions {
  /** Rows of the split. */
  records: readonly TabularRecord[];
  /** How targets are stored (class ids become an int32 `[N]` tensor). */
  targetKind: TargetKind;
  /** Rows per batch. */
  batchSize: number;
  /** Seed of the per-epoch shuffle. */
  seed: number;
  /** Shuffle each epoch (order fixed by seed and epoch). Default true. */
  shuffle?: boolean;
  /** Skip a last, smaller batch. Default false. */
  dropLast?: boolean;
}

/**
 * In-memory tabular rows as batches of tensors, reproducibly: epoch e's order depends only on
 * (seed, e), so a resumed run asks for `batches(e, start)` and continues where it stopped.
 * The caller owns (and disposes) each batch.
 */
export class TabularLoader implements DataLoader<TabularBatch> {
  /** `batches` takes a data-parallel shard and builds only that rank's batches. */
  readonly shardable = true;
  private readonly features: Float32Array;
  private readonly targets: Float32Array | Int32Array;
  private readonly numFeatures: number;
  private readonly numTargets: number;
  private readonly options: Required<Omit<TabularLoaderOptions, 'records'>>;

  constructor(options: TabularLoaderOptions) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new FloeError(`TabularLoader: batchSize must be a positive integer, got ${options.batchSize}.`);
    const { records } = options;
    this.options = { shuffle: true, dropLast: false, ...options };
    this.numFeatures = records[0]?.features.length ?? 0;
    this.numTargets = records[0]?.targets.length ?? 0;
    this.features = Float32Array.from(records.flatMap((r) => r.features));
    this.targets = options.targetKind === 'class-id' ? Int32Array.from(records.map((r) => r.targets[0])) : Float32Array.from(records.flatMap((r) => r.targets));
  }

  get numExamples(): number {
    return this.numFeatures === 0 ? 0 : this.features.length / this.numFeatures;
  }

  get length(): number {
    const n = this.numExamples;
    return this.options.dropLast ? Math.floor(n / this.options.batchSize) : Math.ceil(n / this.options.batchSize);
  }

  /**
   * The batches of `epoch` from batch `start` on; with a `shard` (data parallelism), only every
   * `size`-th of them starting at `start + rank`.
   */
  *batches(epoch: number, start = 0, shard?: { rank: number; size: number }): Generator<TabularBatch> {
    const { batchSize, shuffle, seed, targetKind } = this.options;
    const n = this.numExamples;
    const order = shuffle ? epochOrder(seed, epoch, n) : Array.from({ length: n }, (_, i) => i);
    const f = this.numFeatures;
    const k = this.numTargets;
    for (let b = start + (shard?.rank ?? 0); b < this.length; b += shard?.size ?? 1) {
      const rows = order.slice(b * batchSize, (b + 1) * batchSize);
      const x = new Float32Array(rows.length * f);
      rows.forEach((row, i) => x.set(this.features.subarray(row * f, (row + 1) * f), i * f));
      let targets: tf.Tensor2D | tf.Tensor1D;
      if (targetKind === 'class-id') {
        targets = tf.tensor1d(Int32Array.from(rows, (row) => this.targets[row]), 'int32');
      } else {
        const y = new Float32Array(rows.length * k);
        rows.forEach((row, i) => y.set(this.targets.subarray(row * k, (row + 1) * k), i * k));
        targets = tf.tensor2d(y, [rows.length, k]);
      }
      yield { features: tf.tensor2d(x, [rows.length, f]), targets, numSamples: rows.length };
    }
  }
}
