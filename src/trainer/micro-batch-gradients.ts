import * as tf from '@tensorflow/tfjs';
import { frugalVariableGrads } from '../autograd';

/** What {@link microBatchGradients} returns. */
export interface MicroBatchGradients {
  /** The micro-batch's loss (unscaled). */
  loss: tf.Scalar;
  /** Gradients by parameter name, multiplied by the batch weight. */
  grads: Map<string, tf.Tensor>;
}

/**
 * Loss and gradients of one micro-batch, gradients keyed by parameter name and scaled by
 * `weight` (the batch's share of the accumulated average). The caller owns every tensor returned.
 */
export function microBatchGradients(
  loss: () => tf.Scalar,
  params: Map<string, tf.Variable>,
  weight: number,
): MicroBatchGradients {
  const nameOf = new Map([...params].map(([name, v]) => [v.name, name]));
  // tidy keeps tensors in plain objects only (not in Maps), so return a record.
  // frugalVariableGrads frees the tape itself when the loss throws midway.
  const out = tf.tidy(() => {
    const { value, grads } = frugalVariableGrads(loss, [...params.values()]);
    const named: tf.NamedTensorMap = {};
    // One weight tensor for every gradient: g.mul(weight) would upload the same scalar per parameter.
    const w = weight === 1 ? undefined : tf.scalar(weight);
    for (const [varName, g] of Object.entries(grads)) named[nameOf.get(varName) ?? varName] = w === undefined ? g : g.mul(w);
    return { value, named };
  });
  return { loss: out.value, grads: new Map(Object.entries(out.named)) };
}
