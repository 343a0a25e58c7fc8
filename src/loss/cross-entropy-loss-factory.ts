import * as tf from '@tensorflow/tfjs';
import { IsBoolean, IsNumber, Max, Min } from 'class-validator';
import { register } from '../registry/register';
import { assertSameShape, LossConfig, LossFactory, LossShapeError, SupervisedLoss } from './loss-factory';

/** Smallest probability whose log is taken when predictions are probabilities, not logits. */
const PROBABILITY_FLOOR = 1e-7;

/** Config of `cross-entropy`. */
export class CrossEntropyLossConfig extends LossConfig {
  /** Share of the target mass spread evenly over all classes (0 = hard targets). */
  @IsNumber()
  @Min(0)
  @Max(0.999)
  labelSmoothing = 0;

  /** Predictions are logits (true) or probabilities that already went through a softmax (false). */
  @IsBoolean()
  fromLogits = true;
}

/**
 * Softmax cross-entropy for one class per row: `mean over rows of −Σ_c q_c · log softmax(p)_c`,
 * where `q` is the target distribution — one-hot from class ids (`[N]` or `[N, 1]`), or the given
 * `[N, C]` one-hot/probability rows — smoothed as `(1 − ε)·q + ε/C`.
 */
@register()
export class CrossEntropyLossFactory extends LossFactory<CrossEntropyLossConfig> {
  static override readonly type: string = 'cross-entropy';
  static override readonly configType = CrossEntropyLossConfig;

  createLoss(): SupervisedLoss {
    const { labelSmoothing, fromLogits } = this.config;
    return {
      task: 'classification',
      outputs: fromLogits ? 'logits' : 'probabilities',
      compute: (predictions, targets) =>
        tf.tidy(() => {
          const classes = predictions.shape[1];
          let q = targetDistribution(predictions, targets);
          if (labelSmoothing > 0) q = tf.add(tf.mul(q, 1 - labelSmoothing), labelSmoothing / classes);
          const logProbs = fromLogits ? tf.logSoftmax(predictions) : tf.log(tf.clipByValue(predictions, PROBABILITY_FLOOR, 1));
          return tf.neg(tf.mean(tf.sum(tf.mul(q, logProbs), 1))) as tf.Scalar;
        }),
    };
  }
}

/** True when `targets` holds class ids (`[N]` or `[N, 1]`) for `[N, C]` predictions with C > 1. */
export function isClassIdTarget(predictions: tf.Tensor, targets: tf.Tensor): boolean {
  return targets.rank === 1 || (targets.rank === 2 && targets.shape[1] === 1 && predictions.shape[1] !== 1);
}

/** `[N, C]` float target rows: one-hot of class ids, or the given rows. */
function targetDistribution(predictions: tf.Tensor2D, targets: tf.Tensor): tf.Tensor2D {
  const [rows, classes] = predictions.shape;
  if (!isClassIdTarget(predictions, targets)) {
    assertSameShape('cross-entropy', predictions, targets);
    return tf.cast(targets, 'float32') as tf.Tensor2D;
  }
  if (targets.shape[0] !== rows) {
    throw new LossShapeError(`cross-entropy loss: ${targets.shape[0]} class ids for ${rows} prediction rows`);
  }
  const ids = tf.cast(tf.reshape(targets, [rows]), 'int32') as tf.Tensor1D;
  // Built as int32 then cast: tfjs-wasm's OneHot ignores a float32 dtype and writes int bits.
  return tf.cast(tf.oneHot(ids, classes), 'float32') as tf.Tensor2D;
}
