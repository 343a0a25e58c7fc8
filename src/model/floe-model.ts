import * as tf from '@tensorflow/tfjs';

/** What the trainer needs of any model: named trainable weights and disposal. */
export interface FloeModel {
  /** Trainable weights by stable dotted name (`blocks.0.attn.qkv.weight`). */
  readonly params: Map<string, tf.Variable>;
  /** Total number of trainable scalars. */
  parameterCount(): number;
  /** Set by a model with adapters (LoRA): only their parameters train, every other is frozen. */
  readonly adapter?: ModelAdapter;
  /** Frees every weight. */
  dispose(): void;
}

/** Adapters of a model (LoRA): training updates only their parameters (see `FrozenParams`). */
export interface ModelAdapter {
  /** Names of the adapter's parameters in the model's `params`. */
  readonly paramNames: readonly string[];
  /** What the adapters are, for the log (`lora: rank 4, alpha 8 on 2 dense layers`). */
  describe(): string;
}
