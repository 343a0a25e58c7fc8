import * as tf from '@tensorflow/tfjs';
import { register } from '../registry/register';
import { assertSameShape, LossConfig, LossFactory, SupervisedLoss } from './loss-factory';

/** Config of `mse` (no settings). */
export class MseLossConfig extends LossConfig {}

/** Mean squared error `mean((p − t)²)` over every output of every row; the default loss. */
@register()
export class MseLossFactory extends LossFactory<MseLossConfig> {
  static override readonly type: string = 'mse';
  static override readonly configType = MseLossConfig;

  createLoss(): SupervisedLoss {
    return {
      task: 'regression',
      outputs: 'values',
      compute: (predictions, targets) => {
        assertSameShape('mse', predictions, targets);
        return tf.tidy(() => tf.mean(tf.square(tf.sub(predictions, targets))) as tf.Scalar);
      },
    };
  }
}
