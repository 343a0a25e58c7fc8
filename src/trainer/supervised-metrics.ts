import * as tf from '@tensorflow/tfjs';
import { Metrics } from '../callbacks/callback';
import { SupervisedLoss } from '../loss/loss-factory';

/** Model outputs as probabilities (softmax/sigmoid of logits; values pass through). */
export function outputProbabilities(loss: SupervisedLoss, outputs: tf.Tensor2D): tf.Tensor2D {
  if (loss.outputs !== 'logits') return outputs;
  return loss.task === 'classification' ? tf.softmax(outputs) : tf.sigmoid(outputs);
}

/**
 * Per-batch sums for the eval metrics, one small tensor: classification/binary `[correct, count]`;
 * regression `[Σ|e|, Σe², count]` over every output, in the targets' original units.
 * `predictions` are raw model outputs (already denormalized for regression); `targets` raw.
 */
export function metricSums(loss: SupervisedLoss, predictions: tf.Tensor2D, targets: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    if (loss.task === 'regression') {
      const e = tf.sub(predictions, targets);
      return tf.stack([tf.sum(tf.abs(e)), tf.sum(tf.square(e)), tf.scalar(e.size)]) as tf.Tensor1D;
    }
    if (loss.task === 'classification') {
      const predicted = tf.argMax(predictions, 1);
      const actual = targets.rank === 2 && targets.shape[1] === predictions.shape[1] ? tf.argMax(targets, 1) : tf.cast(tf.reshape(targets, [-1]), 'int32');
      return tf.stack([tf.sum(tf.cast(tf.equal(predicted, actual), 'float32')), tf.scalar(predictions.shape[0])]) as tf.Tensor1D;
    }
    const threshold = loss.outputs === 'logits' ? 0 : 0.5;
    const t = tf.reshape(tf.cast(targets, 'float32'), predictions.shape);
    const hit = tf.equal(tf.greater(predictions, threshold), tf.greater(t, 0.5));
    return tf.stack([tf.sum(tf.cast(hit, 'float32')), tf.scalar(predictions.size)]) as tf.Tensor1D;
  });
}

/** Length of the {@link metricSums} vector for `loss` (so a rank without eval batches can join the sum). */
export function metricSumsLength(loss: SupervisedLoss): number {
  return loss.task === 'regression' ? 3 : 2;
}

/** Turns summed {@link metricSums} into `eval/accuracy` or `eval/mae` + `eval/rmse`. */
export function metricsFromSums(loss: SupervisedLoss, sums: readonly number[]): Metrics {
  if (loss.task === 'regression') {
    const [abs, sq, n] = sums;
    return n === 0 ? {} : { 'eval/mae': abs / n, 'eval/rmse': Math.sqrt(sq / n) };
  }
  const [correct, n] = sums;
  return n === 0 ? {} : { 'eval/accuracy': correct / n };
}
