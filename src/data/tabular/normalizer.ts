import * as tf from '@tensorflow/tfjs';
import { ColumnStats } from './normalization-stats';

/** `(x − mean) / std` and back for `[N, C]` tensors, with the stats held as tensors. Dispose it after use. */
export class Normalizer {
  private readonly mean: tf.Tensor2D;
  private readonly std: tf.Tensor2D;

  constructor(
    /** Mean and std per column. */
    readonly stats: ColumnStats,
  ) {
    this.mean = tf.tensor2d([stats.mean], [1, stats.mean.length]);
    this.std = tf.tensor2d([stats.std], [1, stats.std.length]);
  }

  /** `(x − mean) / std`, a new tensor. */
  normalize(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.div(tf.sub(x, this.mean), this.std) as tf.Tensor2D);
  }

  /** `y · std + mean`, a new tensor. */
  denormalize(y: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.add(tf.mul(y, this.std), this.mean) as tf.Tensor2D);
  }

  /** Frees the mean and std tensors. */
  dispose(): void {
    tf.dispose([this.mean, this.std]);
  }
}
