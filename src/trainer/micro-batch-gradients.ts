import * as tf from '@tensorflow/tfjs';

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
  let out: { value: tf.Scalar; named: tf.NamedTensorMap };
  try {
    out = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(loss, [...params.values()]);
      const named: tf.NamedTensorMap = {};
      for (const [varName, g] of Object.entries(grads)) named[nameOf.get(varName) ?? varName] = weight === 1 ? g : g.mul(weight);
      return { value, named };
    });
  } catch (error) {
    releaseAbandonedTape();
    throw error;
  }
  return { loss: out.value, grads: new Map(Object.entries(out.named)) };
}

/**
 * tfjs keeps copies of the forward pass's inputs on the gradient tape for the backward pass and
 * frees them only when the backward pass runs; a loss that throws midway leaves them behind
 * (outside every tidy). Frees them, so a failed step in a long-lived process leaks nothing.
 */
function releaseAbandonedTape(): void {
  const state = tf.engine().state;
  // Only at the outermost level: a nested (higher-order) tape still belongs to its caller.
  if (state.gradientDepth !== 0 || state.activeTape == null) return;
  for (const node of state.activeTape) tf.dispose(node.saved ?? []);
  state.activeTape = null as unknown as typeof state.activeTape;
}
