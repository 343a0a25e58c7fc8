import * as tf from '@tensorflow/tfjs';

/** One recorded op of tfjs's gradient tape (tfjs-core's `TapeNode`, which tfjs does not export). */
export interface TapeNode {
  id: number;
  kernelName: string;
  outputs: tf.Tensor[];
  inputs: tf.NamedTensorMap;
  /**
   * Returns, per input name, a thunk computing that input's gradient from the outputs' gradients.
   * Floe's pass also says which inputs it will ask for (`wanted`); tfjs's own nodes ignore it, a
   * checkpointed block uses it to recompute only those gradients.
   */
  gradient?: (dys: (tf.Tensor | null)[], wanted?: readonly string[]) => Record<string, () => tf.Tensor>;
  /** Tensors the op kept for its gradient: clones owned by this node alone. */
  saved?: tf.Tensor[];
}

/**
 * The parts of tfjs's engine that `Engine.gradients` uses and that are private in its typings.
 * Checked once by {@link engineInternals}, so a tfjs upgrade that renames them fails loudly.
 */
export interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number; kernelDepth: number; nextTapeNodeId: number };
  startTape(): void;
  endTape(): void;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  tidy<T extends tf.TensorContainer>(nameOrFn: string | (() => T), fn?: () => T): T;
}

/** tfjs's engine with its tape methods typed, after checking they are there. */
export function engineInternals(): EngineInternals {
  const engine = tf.engine() as unknown as EngineInternals;
  for (const method of ['startTape', 'endTape', 'scopedRun', 'tidy'] as const) {
    if (typeof engine[method] !== 'function') {
      throw new Error(`this tfjs version's engine has no ${method}(); Floe's gradient pass needs it (tested with @tensorflow/tfjs 4.22)`);
    }
  }
  for (const field of ['gradientDepth', 'kernelDepth', 'nextTapeNodeId'] as const) {
    if (typeof engine.state[field] !== 'number') {
      throw new Error(`this tfjs version's engine state has no ${field}; Floe's gradient pass needs it (tested with @tensorflow/tfjs 4.22)`);
    }
  }
  return engine;
}
