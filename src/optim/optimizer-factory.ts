import { IsPositive } from 'class-validator';
import { ComponentConfig, ConfigClass } from '../config/component-config';
import { HumanNumber } from '../config/human-number';
import { Component } from '../registry/component';
import { defineComponentKind } from '../registry/component-kind';
import { ParamOptimizer } from './param-optimizer';

/** Base config of optimizer factories (recipe section `optimizer:`). */
export class OptimizerConfig extends ComponentConfig {
  /** Peak learning rate; the scheduler scales it over the run. */
  @HumanNumber()
  @IsPositive()
  lr = 1e-3;
}

/** Builds the run's optimizer over the model's named weights. */
export abstract class OptimizerFactory<C extends OptimizerConfig = OptimizerConfig> extends Component<C> {
  static override readonly kind: string = 'optimizer';
  static override readonly configType: ConfigClass = OptimizerConfig;
  /** Builds the optimizer; `trainer.model` exists by then. */
  abstract createOptimizer(): ParamOptimizer;
}

/** The optimizer factory kind: trainers list them in `optimizerFactoryType`. */
export const OPTIMIZER_KIND = defineComponentKind({
  name: 'optimizer',
  label: 'optimizer factory',
  baseConfig: OptimizerConfig,
  requiredMethods: ['createOptimizer'],
  synchronousMethods: ['createOptimizer'],
  trainerAttribute: 'optimizerFactoryType',
  recipeSection: 'optimizer',
});
