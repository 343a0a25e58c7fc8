import * as tf from '@tensorflow/tfjs';
import { register } from '../registry/register';
import { assertSameShape, LossConfig, LossFactory, SupervisedLoss } from './loss-factory';

/** Config of `mae` (no settings). */
export class MaeLossConfig extends LossConfig {}

/** Mean absolute error `mean(|p − t|)`: less swayed by outliers than `mse`. */
@register()
export class MaeLossFactory extends LossFactory<MaeLossConfig> {
  static override readonly type: string = 'mae';
  static override readonly configType = MaeLossConfig;

  createLoss(): SupervisedLoss {
    return {
      task: 'regression',
      outputs: 'values',
      compute: (predictions, targets) => {
        assertSameShape('mae', predictions, targets);
        return tf.tidy(() => tf.mean(tf.abs(tf.sub(predictions, targets))) as tf.Scalar);
      },
    };
  }
}
