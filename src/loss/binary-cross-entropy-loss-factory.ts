import * as tf from '@tensorflow/tfjs';
import { IsBoolean } from 'class-validator';
import { register } from '../registry/register';
import { assertSameShape, LossConfig, LossFactory, SupervisedLoss } from './loss-factory';

/** Smallest probability whose log is taken when predictions are probabilities, not logits. */
const PROBABILITY_FLOOR = 1e-7;

/** Config of `binary-cross-entropy`. */
export class BinaryCrossEntropyLossConfig extends LossConfig {
  /** Predictions are logits (true) or probabilities that already went through a sigmoid (false). */
  @IsBoolean()
  fromLogits = true;
}

/**
 * Sigmoid cross-entropy for independent yes/no outputs with 0/1 targets `[N, K]`:
 * `mean of −t·log σ(x) − (1 − t)·log(1 − σ(x))`, computed from logits in the stable form
 * `max(x, 0) − x·t + log(1 + e^(−|x|))`.
 */
@register()
export class BinaryCrossEntropyLossFactory extends LossFactory<BinaryCrossEntropyLossConfig> {
  static override readonly type: string = 'binary-cross-entropy';
  static override readonly configType = BinaryCrossEntropyLossConfig;

  createLoss(): SupervisedLoss {
    const fromLogits = this.config.fromLogits;
    return {
      task: 'binary',
      outputs: fromLogits ? 'logits' : 'probabilities',
      compute: (predictions, targets) =>
        tf.tidy(() => {
          const t = tf.cast(targets.rank === 1 ? tf.reshape(targets, [targets.shape[0], 1]) : targets, 'float32');
          assertSameShape('binary-cross-entropy', predictions, t);
          if (fromLogits) {
            const x = predictions;
            return tf.mean(tf.add(tf.sub(tf.relu(x), tf.mul(x, t)), tf.log1p(tf.exp(tf.neg(tf.abs(x)))))) as tf.Scalar;
          }
          const p = tf.clipByValue(predictions, PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR);
          const perOutput = tf.add(tf.mul(t, tf.log(p)), tf.mul(tf.sub(1, t), tf.log(tf.sub(1, p))));
          return tf.neg(tf.mean(perOutput)) as tf.Scalar;
        }),
    };
  }
}
