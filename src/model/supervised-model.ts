import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors';
import { FloeModel } from './floe-model';

/** Options of {@link SupervisedModel.predict}. */
export interface PredictOptions {
  /** Training mode (dropout on). */
  training: boolean;
  /** Seed of this call's dropout masks (from the trainer's checkpointed RNG). */
  dropoutSeed?: number;
}

/** A model mapping feature rows `[N, F]` to outputs `[N, K]` (values, logits or probabilities). */
export interface SupervisedModel extends FloeModel {
  /** Features per row the model takes. */
  readonly inputSize: number;
  /** Outputs per row the model gives. */
  readonly outputSize: number;
  /** Forward pass; differentiable with respect to `params`. */
  predict(x: tf.Tensor2D, options: PredictOptions): tf.Tensor2D;
  /** Extra JSON files a checkpoint needs to rebuild this model without the recipe's inputs (name → value). */
  checkpointFiles?(): Record<string, unknown>;
}

/** What a supervised model factory needs from its trainer: the model's input and output widths. */
export interface SupervisedModelHost {
  /** Features per row (from the data). */
  readonly modelInputSize: number;
  /** Outputs per row (from the data and the loss: classes, targets, or 1 for a binary label). */
  readonly modelOutputSize: number;
  /** Extra files of the checkpoint being loaded for inference (e.g. a saved topology), if any. */
  readonly restoredCheckpointFiles?: Record<string, unknown>;
}

/** The trainer as a {@link SupervisedModelHost}; a clear error when a non-supervised trainer lists the factory. */
export function supervisedHost(trainer: unknown, modelType: string): SupervisedModelHost {
  const host = trainer as Partial<SupervisedModelHost>;
  if (typeof host.modelInputSize !== 'number' || typeof host.modelOutputSize !== 'number') {
    throw new ConfigError([{ path: 'model.type', message: `model '${modelType}' needs a supervised trainer (one that knows the data's feature and output widths)` }]);
  }
  return host as SupervisedModelHost;
}
