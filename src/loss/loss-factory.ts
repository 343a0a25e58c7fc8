import * as tf from '@tensorflow/tfjs';
import { ComponentConfig, ConfigClass } from '../config/component-config';
import { Component } from '../registry/component';
import { defineComponentKind } from '../registry/component-kind';
import { FloeError } from '../errors';

/**
 * What a loss learns, which decides how targets are encoded and which metrics are reported:
 * `regression` (real values; targets are normalized; MAE/RMSE), `classification` (one class
 * per row, logits over the classes; accuracy) or `binary` (independent yes/no outputs; accuracy).
 */
export type SupervisedTask = 'regression' | 'classification' | 'binary';

/** A built loss: compares a batch of predictions with its targets. */
export interface SupervisedLoss {
  /** The task this loss trains for. */
  readonly task: SupervisedTask;
  /** What the model's outputs are taken to be: plain values, logits, or probabilities. */
  readonly outputs: 'values' | 'logits' | 'probabilities';
  /**
   * Mean loss over the batch. `predictions` is `[N, K]`; `targets` is `[N, K]` float values, or
   * (classification) class ids `[N]` / `[N, 1]`. Call inside a tidy or a gradient tape.
   */
  compute(predictions: tf.Tensor2D, targets: tf.Tensor): tf.Scalar;
}

/** Base config of loss factories (recipe section `loss:` of trainers that list them). */
export class LossConfig extends ComponentConfig {}

/** Builds the loss function a trainer minimizes. */
export abstract class LossFactory<C extends LossConfig = LossConfig> extends Component<C> {
  static override readonly kind: string = 'loss';
  static override readonly configType: ConfigClass = LossConfig;
  /** Builds the loss. */
  abstract createLoss(): SupervisedLoss;
}

/**
 * The loss factory kind, declared by the supervised trainer family: a trainer lists its losses
 * in `lossFactoryType` and the recipe picks one with `loss: { type: ... }`.
 */
export const LOSS_KIND = defineComponentKind({
  name: 'loss',
  label: 'loss factory',
  baseConfig: LossConfig,
  requiredMethods: ['createLoss'],
  synchronousMethods: ['createLoss'],
  trainerAttribute: 'lossFactoryType',
  recipeSection: 'loss',
});

/** Throws when `predictions` and `targets` differ in shape (a silent broadcast would be wrong). */
export function assertSameShape(name: string, predictions: tf.Tensor, targets: tf.Tensor): void {
  if (!tf.util.arraysEqual(predictions.shape, targets.shape)) {
    throw new LossShapeError(`${name} loss: predictions [${predictions.shape.join(', ')}] and targets [${targets.shape.join(', ')}] must have the same shape`);
  }
}

/** Predictions and targets given to a loss do not fit together. */
export class LossShapeError extends FloeError {}
