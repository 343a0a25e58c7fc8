import * as tf from '@tensorflow/tfjs';

/** What the trainer needs of any model: named trainable weights and disposal. */
export interface FloeModel {
  /** Trainable weights by stable dotted name (`blocks.0.attn.qkv.weight`). */
  readonly params: Map<string, tf.Variable>;
  /** Total number of trainable scalars. */
  parameterCount(): number;
  /** Frees every weight. */
  dispose(): void;
}
