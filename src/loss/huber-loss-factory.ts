import * as tf from '@tensorflow/tfjs';
import { IsPositive } from 'class-validator';
import { register } from '../registry/register';
import { assertSameShape, LossConfig, LossFactory, SupervisedLoss } from './loss-factory';

/** Config of `huber`. */
export class HuberLossConfig extends LossConfig {
  /** Error size where the loss turns from quadratic to linear (in normalized target units). */
  @IsPositive()
  delta = 1;
}

/**
 * Huber loss, the mean over outputs of `½e²` where `|e| ≤ δ` and `δ(|e| − ½δ)` beyond, with
 * `e = p − t`: squared error for small errors, absolute error for outliers.
 */
@register()
export class HuberLossFactory extends LossFactory<HuberLossConfig> {
  static override readonly type: string = 'huber';
  static override readonly configType = HuberLossConfig;

  createLoss(): SupervisedLoss {
    const delta = this.config.delta;
    return {
      task: 'regression',
      outputs: 'values',
      compute: (predictions, targets) => {
        assertSameShape('huber', predictions, targets);
        return tf.tidy(() => {
          const abs = tf.abs(tf.sub(predictions, targets));
          // min(|e|, δ) is the quadratic part; the rest of |e| grows linearly: ½q² + δ(|e| − q).
          const quadratic = tf.minimum(abs, delta);
          const linear = tf.sub(abs, quadratic);
          return tf.mean(tf.add(tf.mul(0.5, tf.square(quadratic)), tf.mul(delta, linear))) as tf.Scalar;
        });
      },
    };
  }
}
