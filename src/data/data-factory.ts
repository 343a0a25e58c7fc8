import { ComponentConfig, ConfigClass } from '../config/component-config';
import { Component } from '../registry/component';
import { defineComponentKind } from '../registry/component-kind';
import { DataLoaders } from './data-loader';

/** Base config of data factories (recipe section `data:`). */
export class DataConfig extends ComponentConfig {}

/** Builds the run's train (and eval) data loaders. */
export abstract class DataFactory<C extends DataConfig = DataConfig, B = unknown> extends Component<C> {
  static override readonly kind: string = 'data';
  static override readonly configType: ConfigClass = DataConfig;
  /** Reads, processes and batches the data. */
  abstract createDataLoaders(): Promise<DataLoaders<B>>;
}

/** The data factory kind: trainers list them in `dataFactoryType`. */
export const DATA_KIND = defineComponentKind({
  name: 'data',
  label: 'data factory',
  baseConfig: DataConfig,
  requiredMethods: ['createDataLoaders'],
  trainerAttribute: 'dataFactoryType',
  recipeSection: 'data',
});
