import { ComponentConfig, ConfigClass } from '../config/component-config';
import { Component } from '../registry/component';
import { defineComponentKind } from '../registry/component-kind';
import { FloeModel } from './floe-model';

/** Base config of model factories (recipe section `model:`). */
export class ModelConfig extends ComponentConfig {}

/** Builds the run's model (fresh, or loaded from a checkpoint or foreign format). */
export abstract class ModelFactory<C extends ModelConfig = ModelConfig, M extends FloeModel = FloeModel> extends Component<C> {
  static override readonly kind: string = 'model';
  static override readonly configType: ConfigClass = ModelConfig;
  /** Builds the model; the trainer's tokenizer is available (for the vocabulary size). */
  abstract createModel(): Promise<M>;
}

/** The model factory kind: trainers list them in `modelFactoryType`. */
export const MODEL_KIND = defineComponentKind({
  name: 'model',
  label: 'model factory',
  baseConfig: ModelConfig,
  requiredMethods: ['createModel'],
  trainerAttribute: 'modelFactoryType',
  recipeSection: 'model',
});
