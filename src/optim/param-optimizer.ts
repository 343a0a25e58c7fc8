import * as tf from '@tensorflow/tfjs';

/** Options of {@link ParamOptimizer.applyGradients}. */
export interface ApplyGradientsOptions {
  /**
   * Every gradient is multiplied by this scalar before the update (the global-norm clip
   * coefficient), so clipping costs no extra pass over the gradients. Only passed to optimizers
   * with `acceptsGradScale`; for others the caller scales the gradients itself.
   */
  gradScale?: tf.Scalar;
}

/** Options of {@link ParamOptimizer.setState}. */
export interface SetStateOptions {
  /**
   * The variables the state is for, by name: a slot of another shape than its variable is
   * refused. State of names not in the map is kept unchecked.
   */
  params?: ReadonlyMap<string, tf.Tensor>;
}

/**
 * An optimizer that updates named variables in place and keeps its state by variable name.
 *
 * State is keyed by name (never by position) so reordering, adding or removing variables can
 * never hand one variable another's moments; a variable seen for the first time gets fresh state.
 */
export interface ParamOptimizer {
  /**
   * One update of every param that has a gradient; `lr` is this step's learning rate.
   * Params without a gradient are left alone (their state is kept). Grads are not disposed.
   */
  applyGradients(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, lr: number, options?: ApplyGradientsOptions): void;

  /** True when `applyGradients` honours `options.gradScale` (an optimizer that ignores it must leave this unset). */
  readonly acceptsGradScale?: boolean;

  /** Number of `applyGradients` calls so far (restored by `setState`). */
  readonly stepCount: number;

  /**
   * State by variable name: `${name}/m`, `${name}/v` (adam), `${name}/momentum` (sgd), plus
   * `step` (int32 scalar). The returned tensors are new handles owned by the caller, who must
   * dispose them; they share data with the optimizer but stay valid after later steps.
   */
  getState(): Map<string, tf.Tensor>;

  /**
   * Exact (bit-for-bit) restore of a map produced by `getState`. The optimizer takes its own
   * handles: the caller still owns, and may dispose, the tensors it passed in. State this
   * optimizer could not have written (a variable with only some of its slots, or with its own step
   * count but no slots, a slot of another shape than its variable in `options.params`) is refused,
   * leaving the optimizer as it was.
   */
  setState(state: Map<string, tf.Tensor>, options?: SetStateOptions): void;

  /** Disposes all state tensors; the optimizer starts fresh if used again. */
  dispose(): void;
}
